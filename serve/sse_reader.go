package serve

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"iter"
)

// Event is one Server-Sent Event of a streamed program answer.
type Event struct {
	// Name is the event's type: EventChunk, EventStatus, EventPrediction
	// or EventError ("message" when the stream names none).
	Name string
	// Data is the event's data, its lines joined with "\n".
	Data []byte
}

// MaxEventLine bounds one line of an event stream ReadEvents accepts.
const MaxEventLine = 16 << 20

// ReadEvents reads the events of a Server-Sent Events stream, such as a
// streamed program answer, following the WHATWG event-stream rules: lines
// end with "\n", "\r\n" or "\r"; "event:" names the event, "data:" lines
// add to its data, lines starting with ":" are comments, a blank line ends
// the event; an event with no data, or left unfinished at the end of the
// stream, is not delivered. It stops at the first read error, which it
// yields; a line longer than MaxEventLine is an error.
func ReadEvents(r io.Reader) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		br := bufio.NewReader(r)
		var (
			name    string
			data    []byte
			hasData bool
		)
		for {
			line, err := readEventLine(br)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					yield(Event{}, err)
				}
				return
			}
			if len(line) == 0 {
				if hasData {
					ev := Event{Name: name, Data: data}
					if ev.Name == "" {
						ev.Name = "message"
					}
					if !yield(ev, nil) {
						return
					}
				}
				name, data, hasData = "", nil, false
				continue
			}
			field, value, _ := bytes.Cut(line, []byte(":"))
			value = bytes.TrimPrefix(value, []byte(" "))
			switch string(field) {
			case "event":
				name = string(value)
			case "data":
				if hasData {
					data = append(data, '\n')
				}
				data = append(data, value...)
				hasData = true
			}
		}
	}
}

// readEventLine reads one line without its ending. A last line with no
// ending is returned; after it, io.EOF.
func readEventLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		b, err := br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) && len(line) > 0 {
				return line, nil
			}
			return nil, err
		}
		switch b {
		case '\n':
			return line, nil
		case '\r':
			if next, err := br.Peek(1); err == nil && next[0] == '\n' {
				_, _ = br.ReadByte()
			}
			return line, nil
		}
		if len(line) >= MaxEventLine {
			return nil, errors.New("serve: an event stream line exceeds MaxEventLine")
		}
		line = append(line, b)
	}
}

package lm

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// diskBucket holds the responses; the name carries a version so that a future
// change of the stored encoding can use a new bucket instead of misreading.
var diskBucket = []byte("lm_responses_v1")

// DiskCache is a persistent cache in a single bbolt file, so that a rerun, a
// retried activity or a resumed optimization pays nothing for calls it has
// already made.
//
// Writes are batched: Put only queues the entry, and one background writer
// commits everything queued in a single transaction (one fsync) while callers
// carry on, so a call never waits on the disk. Queued entries are readable at
// once. Close flushes the queue; entries Put after Close are dropped.
//
// bbolt locks the file, so one process at a time may hold a DiskCache open;
// NewDiskCache waits up to a second for the lock and then fails.
type DiskCache struct {
	db *bolt.DB

	mu      sync.Mutex
	pending map[string][]byte // queued, not yet in a transaction
	writing map[string][]byte // in the transaction being committed
	closed  bool
	err     error // first write error, reported by Flush and Close

	flushMu   sync.Mutex // one commit at a time
	kick      chan struct{}
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// NewDiskCache opens (creating if needed) the cache file at path and starts
// its writer. Call Close when done, or recent entries may be lost.
func NewDiskCache(path string) (*DiskCache, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("lm disk cache %s: %w", path, err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("lm disk cache %s is locked by another process; close it or use another path: %w", path, err)
		}
		return nil, fmt.Errorf("lm disk cache %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(diskBucket)
		return err
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("lm disk cache %s: %w", path, err)
	}
	c := &DiskCache{
		db:      db,
		pending: make(map[string][]byte),
		kick:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go c.writer()
	return c, nil
}

// diskRecord is the stored form of a response: only what a hit returns.
type diskRecord struct {
	Outputs          []string            `json:"outputs"`
	FinishReasons    []string            `json:"finish_reasons,omitempty"`
	Model            string              `json:"model"`
	PromptTokens     int                 `json:"prompt_tokens"`
	CompletionTokens int                 `json:"completion_tokens"`
	ToolCalls        [][]dspy.LMToolCall `json:"tool_calls,omitempty"`
}

// Get returns the response stored under key, looking at queued writes first.
func (c *DiskCache) Get(key string) (dspy.LMResponse, bool) {
	c.mu.Lock()
	raw, ok := c.pending[key]
	if !ok {
		raw, ok = c.writing[key]
	}
	c.mu.Unlock()
	if !ok {
		// After Close the view fails and this is a miss, as it should be.
		_ = c.db.View(func(tx *bolt.Tx) error {
			if v := tx.Bucket(diskBucket).Get([]byte(key)); v != nil {
				// v points into the memory map and dies with the transaction.
				raw, ok = append([]byte(nil), v...), true
			}
			return nil
		})
		if !ok {
			return dspy.LMResponse{}, false
		}
	}
	var rec diskRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return dspy.LMResponse{}, false
	}
	return dspy.LMResponse{
		Outputs:       rec.Outputs,
		FinishReasons: rec.FinishReasons,
		Model:         rec.Model,
		Usage:         dspy.Usage{PromptTokens: rec.PromptTokens, CompletionTokens: rec.CompletionTokens},
		ToolCalls:     rec.ToolCalls,
	}, true
}

// Put queues resp for the next batched write.
func (c *DiskCache) Put(key string, resp dspy.LMResponse) {
	raw, err := json.Marshal(diskRecord{
		Outputs:          resp.Outputs,
		FinishReasons:    resp.FinishReasons,
		Model:            resp.Model,
		PromptTokens:     resp.Usage.PromptTokens,
		CompletionTokens: resp.Usage.CompletionTokens,
		ToolCalls:        resp.ToolCalls,
	})
	if err != nil {
		return // a response of strings always encodes
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.pending[key] = raw
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default: // the writer is already due to run and will pick this up
	}
}

// writer commits queued entries until Close. While one commit is syncing,
// new Puts pile up in pending and go out together in the next, so the batch
// size adapts to the write rate without any timer.
func (c *DiskCache) writer() {
	defer close(c.done)
	for {
		select {
		case <-c.kick:
			_ = c.Flush()
		case <-c.stop:
			return
		}
	}
}

// Flush writes every queued entry to disk now and returns the first write
// error seen so far, if any.
func (c *DiskCache) Flush() error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()

	c.mu.Lock()
	batch := c.pending
	if len(batch) == 0 {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.pending = make(map[string][]byte, len(batch))
	c.writing = batch
	c.mu.Unlock()

	err := c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(diskBucket)
		for k, v := range batch {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})

	c.mu.Lock()
	defer c.mu.Unlock()
	c.writing = nil
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("lm disk cache write: %w", err)
	}
	return c.err
}

// Len is the number of responses stored on disk, queued writes excluded.
func (c *DiskCache) Len() int {
	n := 0
	_ = c.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(diskBucket).Stats().KeyN
		return nil
	})
	return n
}

// Close stops the writer, flushes queued entries and closes the file. It is
// safe to call more than once.
func (c *DiskCache) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		close(c.stop)
		<-c.done
		flushErr := c.Flush()
		c.closeErr = errors.Join(flushErr, c.db.Close())
	})
	return c.closeErr
}

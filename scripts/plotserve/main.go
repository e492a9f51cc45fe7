// Command plotserve renders the serving benchmark's results as an SVG chart:
// for each load, the share of the ideal throughput that the serve handler
// and the bare openai-go floor reached, and the p99 latency each added over
// the LM's own:
//
//	SERVE_BENCH_SECONDS=5 go test ./serve -run '^$' -bench BenchmarkServe -benchtime=1x > serve-bench.txt
//	go run ./scripts/plotserve serve-bench.txt > docs/serving.svg
//
// It reads Go's benchmark format with golang.org/x/perf/benchfmt.
package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"golang.org/x/perf/benchfmt"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: plotserve BENCH.txt > serving.svg")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "plotserve:", err)
		os.Exit(1)
	}
}

// load is one BenchmarkServe sub-benchmark's figures.
type load struct {
	name                    string
	pctIdeal, ratioFloor    float64
	addedP99, floorAddedP99 float64
}

// floorPct is the floor's share of the ideal: the handler's share over its
// ratio to the floor.
func (l load) floorPct() float64 { return l.pctIdeal / l.ratioFloor }

func run(path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	loads, err := read(f, path)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, render(loads))
	return err
}

// read collects the BenchmarkServe results of a benchmark output.
func read(r io.Reader, name string) ([]load, error) {
	rd := benchfmt.NewReader(r, name)
	var loads []load
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		base, parts := res.Name.Parts()
		if string(base) != "Serve" {
			continue
		}
		l := load{name: strings.TrimPrefix(strings.Join(byteStrings(parts), ""), "/")}
		for _, v := range res.Values {
			switch v.Unit {
			case "pct_ideal":
				l.pctIdeal = v.Value
			case "ratio_floor":
				l.ratioFloor = v.Value
			case "added_p99_ms":
				l.addedP99 = v.Value
			case "floor_added_p99_ms":
				l.floorAddedP99 = v.Value
			}
		}
		if l.ratioFloor <= 0 {
			return nil, fmt.Errorf("%s: %s has no ratio_floor", name, res.Name)
		}
		loads = append(loads, l)
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	if len(loads) == 0 {
		return nil, errors.New(name + ": no BenchmarkServe results")
	}
	return loads, nil
}

func byteStrings(parts [][]byte) []string {
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if !strings.HasPrefix(string(p), "-") {
			out = append(out, string(p))
		}
	}
	return out
}

// Chart geometry, in SVG user units: two panels side by side.
const (
	width, height     = 760, 380
	top, bott, panelW = 60, 70, 300
	barW              = 34
)

var panelLeft = [2]float64{70, 440}

func render(loads []load) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%.0f" y="22" font-size="14">Serving against the simulated LM: serve handler vs bare openai-go handler</text>`+"\n", panelLeft[0])
	legend := func(x float64, color, name string) {
		fmt.Fprintf(&b, `<rect x="%.0f" y="32" width="12" height="12" fill="%s"/><text x="%.0f" y="42">%s</text>`+"\n", x, color, x+16, name)
	}
	legend(panelLeft[0], "#1f77b4", "serve")
	legend(panelLeft[0]+70, "#bbb", "floor (bare handler)")

	maxP99 := 0.0
	for _, l := range loads {
		maxP99 = math.Max(maxP99, math.Max(l.addedP99, l.floorAddedP99))
	}
	maxP99 = math.Ceil(maxP99/10) * 10
	panel := func(i int, title string, ymax float64, unit string, value func(load) (float64, float64)) {
		x0 := panelLeft[i]
		plotH := float64(height - top - bott)
		py := func(v float64) float64 { return float64(height-bott) - v/ymax*plotH }
		fmt.Fprintf(&b, `<text x="%.0f" y="%d" font-weight="bold">%s</text>`+"\n", x0, top-4, title)
		for k := 0; k <= 4; k++ {
			v := ymax * float64(k) / 4
			fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#ddd"/>`+"\n", x0, py(v), x0+panelW, py(v))
			fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%g%s</text>`+"\n", x0-6, py(v)+4, v, unit)
		}
		group := panelW / float64(len(loads))
		for j, l := range loads {
			serve, floor := value(l)
			gx := x0 + group*float64(j) + group/2
			for k, bar := range []struct {
				v     float64
				color string
			}{{serve, "#1f77b4"}, {floor, "#bbb"}} {
				x := gx - barW + float64(k)*barW
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%d" height="%.1f" fill="%s"/>`+"\n", x, py(bar.v), barW-4, float64(height-bott)-py(bar.v), bar.color)
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%.1f</text>`+"\n", x+(barW-4)/2.0, py(bar.v)-4, bar.v)
			}
			label := strings.NewReplacer("clients=", "", "/latency=", " clients × ").Replace(l.name)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", gx, height-bott+18, label)
		}
	}
	panel(0, "share of the ideal requests/s (%)", 100, "", func(l load) (float64, float64) { return l.pctIdeal, l.floorPct() })
	panel(1, "p99 latency added over the LM's (ms)", maxP99, "", func(l load) (float64, float64) { return l.addedP99, l.floorAddedP99 })
	b.WriteString("</svg>\n")
	return b.String()
}

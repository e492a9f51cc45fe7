package simlm

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Category is the kind of arithmetic a word problem needs. The accuracy model
// counts a demo as relevant when it shares the question's category.
type Category string

// The built-in task's categories.
const (
	Addition       Category = "addition"
	Subtraction    Category = "subtraction"
	Multiplication Category = "multiplication"
	Division       Category = "division"
	MultiStep      Category = "multi_step"
	UnitConversion Category = "unit_conversion"
)

// Categories lists the built-in task's categories in a stable order.
func Categories() []Category {
	return []Category{Addition, Subtraction, Multiplication, Division, MultiStep, UnitConversion}
}

// ArithmeticExample is one word problem of the built-in task.
type ArithmeticExample struct {
	Question string   `json:"question"`
	Answer   string   `json:"answer"`
	Category Category `json:"category"`
}

// template is both a generator and a parser: the same text with slots renders
// questions and compiles to the pattern that recognises them, so every
// generated question is guaranteed to parse back.
type template struct {
	cat  Category
	text string
	// draw picks operands a, b, c so that the answer is a positive integer.
	draw func(s *stream) [3]int
	// solve computes the answer; expr shows the working for reasoning text.
	solve func(n [3]int) int
	expr  func(n [3]int) string
	// pattern is text split at its slots; see match.
	pattern []segment
	// anchor is the template's longest literal word. Texts without it cannot
	// match, and a substring test is far cheaper than trying the pattern.
	anchor string
}

// segment is one piece of a template's pattern: literal text, in which a
// space stands for any run of whitespace, or a slot that captures a run of
// digits (operand a, b or c) or of ASCII letters (a name, item or food).
type segment struct {
	literal string
	slot    slotKind
	operand int // 0, 1 or 2 for a, b, c when slot is slotNumber
}

type slotKind int

const (
	slotNone slotKind = iota
	slotNumber
	slotWord
)

var (
	names = []string{"Mia", "Liam", "Ava", "Noah", "Zoe", "Omar", "Lena", "Ravi",
		"Sofia", "Ethan", "Chloe", "Diego", "Hana", "Felix", "Nora", "Kai"}
	items = []string{"apples", "marbles", "stickers", "cards", "pencils", "oranges",
		"shells", "coins", "beads", "stamps"}
	foods = []string{"muffins", "cookies", "cupcakes", "bagels", "pies", "rolls"}
)

func ab(lo, hi, lo2, hi2 int) func(*stream) [3]int {
	return func(s *stream) [3]int { return [3]int{s.intn(lo, hi), s.intn(lo2, hi2), 0} }
}

func binary(op string, f func(a, b int) int) (func([3]int) int, func([3]int) string) {
	return func(n [3]int) int { return f(n[0], n[1]) },
		func(n [3]int) string { return fmt.Sprintf("%d %s %d", n[0], op, n[1]) }
}

func add(a, b int) int { return a + b }
func sub(a, b int) int { return a - b }
func mul(a, b int) int { return a * b }
func div(a, b int) int { return a / b }

func tmpl(cat Category, text string, draw func(*stream) [3]int, solve func([3]int) int, expr func([3]int) string) *template {
	return &template{cat: cat, text: text, draw: draw, solve: solve, expr: expr}
}

var templates = func() []*template {
	addS, addE := binary("+", add)
	subS, subE := binary("-", sub)
	mulS, mulE := binary("*", mul)
	divS, divE := binary("/", div)
	// Division and subtraction draw so that the answer stays a positive integer.
	quotient := func(lo, hi, lo2, hi2 int) func(*stream) [3]int {
		return func(s *stream) [3]int { b := s.intn(lo2, hi2); return [3]int{b * s.intn(lo, hi), b, 0} }
	}
	minuend := func(s *stream) [3]int { b := s.intn(5, 60); return [3]int{b + s.intn(3, 80), b, 0} }
	ts := []*template{
		tmpl(Addition, "{name} has {a} {item} and buys {b} more. How many {item} does {name} have now?", ab(12, 95, 5, 60), addS, addE),
		tmpl(Addition, "A library had {a} books on Monday and received {b} more on Tuesday. How many books does the library have in total?", ab(120, 900, 15, 300), addS, addE),
		tmpl(Addition, "{name} scored {a} points in the first game and {b} points in the second game. How many points did {name} score altogether?", ab(8, 70, 8, 70), addS, addE),
		tmpl(Subtraction, "A baker made {a} {food} and sold {b} of them. How many {food} are left?", minuend, subS, subE),
		tmpl(Subtraction, "{name} had {a} dollars and spent {b} dollars on a gift. How many dollars does {name} have left?", minuend, subS, subE),
		tmpl(Subtraction, "A train carried {a} passengers. At the first stop, {b} passengers got off. How many passengers are still on the train?", minuend, subS, subE),
		tmpl(Multiplication, "There are {a} boxes with {b} {item} in each box. How many {item} are there in total?", ab(3, 15, 4, 25), mulS, mulE),
		tmpl(Multiplication, "{name} reads {a} pages every day for {b} days. How many pages does {name} read?", ab(5, 40, 3, 14), mulS, mulE),
		tmpl(Multiplication, "A theater has {a} rows with {b} seats in each row. How many seats does the theater have?", ab(8, 30, 10, 40), mulS, mulE),
		tmpl(Division, "{a} {item} are shared equally among {b} children. How many {item} does each child get?", quotient(3, 20, 2, 9), divS, divE),
		tmpl(Division, "{name} packs {a} eggs into cartons of {b}. How many cartons does {name} fill?", quotient(4, 25, 6, 12), divS, divE),
		tmpl(Division, "A ribbon {a} centimeters long is cut into {b} equal pieces. How many centimeters long is each piece?", quotient(5, 40, 2, 8), divS, divE),
		tmpl(MultiStep, "{name} buys {a} packs of {b} {item} and then gives away {c} {item}. How many {item} does {name} have left?",
			func(s *stream) [3]int {
				a, b := s.intn(2, 9), s.intn(4, 12)
				return [3]int{a, b, s.intn(1, a*b-1)}
			},
			func(n [3]int) int { return n[0]*n[1] - n[2] },
			func(n [3]int) string { return fmt.Sprintf("%d * %d - %d", n[0], n[1], n[2]) }),
		tmpl(MultiStep, "A shop sells pens for {a} dollars each. {name} buys {b} pens and pays with a {c} dollar bill. How much change does {name} get, in dollars?",
			func(s *stream) [3]int {
				a, b := s.intn(2, 9), s.intn(2, 10)
				// Pay with the smallest common bill that covers the price.
				c := 100
				for _, bill := range []int{20, 50} {
					if bill > a*b {
						c = bill
						break
					}
				}
				return [3]int{a, b, c}
			},
			func(n [3]int) int { return n[2] - n[0]*n[1] },
			func(n [3]int) string { return fmt.Sprintf("%d - %d * %d", n[2], n[0], n[1]) }),
		tmpl(MultiStep, "{name} has {a} marbles, wins {b} more, and then splits them equally into {c} bags. How many marbles are in each bag?",
			func(s *stream) [3]int {
				c := s.intn(2, 8)
				total := c * s.intn(4, 20)
				b := s.intn(1, total-1)
				return [3]int{total - b, b, c}
			},
			func(n [3]int) int { return (n[0] + n[1]) / n[2] },
			func(n [3]int) string { return fmt.Sprintf("(%d + %d) / %d", n[0], n[1], n[2]) }),
		tmpl(UnitConversion, "How many minutes are in {a} hours and {b} minutes?", ab(1, 12, 1, 59),
			func(n [3]int) int { return n[0]*60 + n[1] },
			func(n [3]int) string { return fmt.Sprintf("%d * 60 + %d", n[0], n[1]) }),
		tmpl(UnitConversion, "A rope is {a} meters and {b} centimeters long. How long is the rope in centimeters?", ab(1, 20, 1, 99),
			func(n [3]int) int { return n[0]*100 + n[1] },
			func(n [3]int) string { return fmt.Sprintf("%d * 100 + %d", n[0], n[1]) }),
		tmpl(UnitConversion, "A bag of flour weighs {a} kilograms. How many grams is that?", ab(2, 30, 0, 0),
			func(n [3]int) int { return n[0] * 1000 },
			func(n [3]int) string { return fmt.Sprintf("%d * 1000", n[0]) }),
		tmpl(UnitConversion, "How many days are in {a} weeks and {b} days?", ab(2, 40, 1, 6),
			func(n [3]int) int { return n[0]*7 + n[1] },
			func(n [3]int) string { return fmt.Sprintf("%d * 7 + %d", n[0], n[1]) }),
	}
	for _, t := range ts {
		t.compile()
	}
	return ts
}()

var slotRE = regexp.MustCompile(`\{(name|item|food|a|b|c)\}`)

// compile splits the template text into its pattern and picks its anchor.
// The matcher captures slots greedily, which finds what a backtracking
// search would only if no slot is followed by a character it could also
// capture; compile panics on a template that breaks that rule.
func (t *template) compile() {
	last := 0
	for _, m := range slotRE.FindAllStringSubmatchIndex(t.text, -1) {
		if lit := t.text[last:m[0]]; lit != "" {
			t.pattern = append(t.pattern, segment{literal: lit})
		}
		switch slot := t.text[m[2]:m[3]]; slot {
		case "a", "b", "c":
			t.pattern = append(t.pattern, segment{slot: slotNumber, operand: int(slot[0] - 'a')})
		default:
			t.pattern = append(t.pattern, segment{slot: slotWord})
		}
		last = m[1]
	}
	if lit := t.text[last:]; lit != "" {
		t.pattern = append(t.pattern, segment{literal: lit})
	}
	for i, seg := range t.pattern {
		if seg.slot == slotNone {
			continue
		}
		if i+1 < len(t.pattern) {
			next := t.pattern[i+1]
			if next.slot != slotNone || inSlot(seg.slot, next.literal[0]) {
				panic("simlm: template " + strconv.Quote(t.text) + " has a slot its neighbour could extend")
			}
		}
	}
	for _, w := range strings.FieldsFunc(slotRE.ReplaceAllString(t.text, " "), func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
	}) {
		if len(w) > len(t.anchor) {
			t.anchor = w
		}
	}
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isSpace(c byte) bool  { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func inSlot(k slotKind, c byte) bool {
	if k == slotNumber {
		return isDigit(c)
	}
	return isLetter(c)
}

// match finds the leftmost occurrence of the template in text and returns
// its operands. A run of whitespace in text matches a space of the template.
// A match that begins with a slot begins where that slot's run of digits or
// letters does, since starting later inside the run would not be leftmost.
func (t *template) match(text string) ([3]int, bool) {
	first := t.pattern[0]
	for start := 0; start < len(text); start++ {
		if first.slot != slotNone {
			if !inSlot(first.slot, text[start]) || start > 0 && inSlot(first.slot, text[start-1]) {
				continue
			}
		} else if text[start] != first.literal[0] {
			continue
		}
		if n, ok := t.matchAt(text, start); ok {
			return n, true
		}
	}
	return [3]int{}, false
}

// matchAt matches the whole pattern at text[pos:].
func (t *template) matchAt(text string, pos int) ([3]int, bool) {
	var n [3]int
	for _, seg := range t.pattern {
		if seg.slot == slotNone {
			if pos = matchLiteral(text, pos, seg.literal); pos < 0 {
				return n, false
			}
			continue
		}
		end := pos
		for end < len(text) && inSlot(seg.slot, text[end]) {
			end++
		}
		if end == pos {
			return n, false
		}
		if seg.slot == slotNumber {
			v, err := strconv.Atoi(text[pos:end])
			if err != nil {
				return n, false // too many digits for an int: no question of ours
			}
			n[seg.operand] = v
		}
		pos = end
	}
	return n, true
}

// matchLiteral matches lit at text[pos:], a space in lit matching one or more
// whitespace characters, and returns the position after it or -1.
func matchLiteral(text string, pos int, lit string) int {
	for i := 0; i < len(lit); i++ {
		if lit[i] == ' ' {
			if pos >= len(text) || !isSpace(text[pos]) {
				return -1
			}
			for pos < len(text) && isSpace(text[pos]) {
				pos++
			}
			continue
		}
		if pos >= len(text) || text[pos] != lit[i] {
			return -1
		}
		pos++
	}
	return pos
}

func (t *template) render(s *stream, n [3]int) string {
	name, item, food := names[pick(s.next(), len(names))], items[pick(s.next(), len(items))], foods[pick(s.next(), len(foods))]
	return slotRE.ReplaceAllStringFunc(t.text, func(slot string) string {
		switch slot {
		case "{name}":
			return name
		case "{item}":
			return item
		case "{food}":
			return food
		}
		return strconv.Itoa(n[slot[1]-'a'])
	})
}

// problem is a recognised question: its template, operands and true answer.
type problem struct {
	t      *template
	n      [3]int
	answer int
}

func (p problem) category() Category { return p.t.cat }

// recognize finds an arithmetic question of the built-in task in text.
func recognize(text string) (problem, bool) {
	// Every template mentions "How"; skipping other texts keeps unknown tasks cheap.
	if !strings.Contains(text, "How") {
		return problem{}, false
	}
	for _, t := range templates {
		if !strings.Contains(text, t.anchor) {
			continue
		}
		if n, ok := t.match(text); ok {
			return problem{t: t, n: n, answer: t.solve(n)}, true
		}
	}
	return problem{}, false
}

// SolveArithmetic recognises a question of the built-in task (as produced by
// ArithmeticDataset, possibly embedded in longer text) and returns its true
// answer and category.
func SolveArithmetic(question string) (answer int, cat Category, ok bool) {
	p, ok := recognize(question)
	if !ok {
		return 0, "", false
	}
	return p.answer, p.category(), true
}

// ArithmeticDataset generates n word problems deterministically from seed.
// Categories are balanced: they cycle in a seed-shuffled order, so any prefix
// of the dataset covers every category about equally.
func ArithmeticDataset(seed int64, n int) []ArithmeticExample {
	s := newStream(derive(uint64(seed), saltDataset))
	cats := Categories()
	byCat := map[Category][]*template{}
	for _, t := range templates {
		byCat[t.cat] = append(byCat[t.cat], t)
	}
	out := make([]ArithmeticExample, 0, max(n, 0))
	var order []Category
	for i := 0; i < n; i++ {
		if i%len(cats) == 0 {
			order = append(order[:0], cats...)
			for j := len(order) - 1; j > 0; j-- {
				k := pick(s.next(), j+1)
				order[j], order[k] = order[k], order[j]
			}
		}
		ts := byCat[order[i%len(cats)]]
		t := ts[pick(s.next(), len(ts))]
		nums := t.draw(s)
		out = append(out, ArithmeticExample{
			Question: t.render(s, nums),
			Answer:   strconv.Itoa(t.solve(nums)),
			Category: t.cat,
		})
	}
	return out
}

// WriteJSONL writes examples one JSON object per line, the format DSPy-style
// dataset loaders read.
func WriteJSONL(w io.Writer, examples []ArithmeticExample) error {
	enc := json.NewEncoder(w)
	for i, ex := range examples {
		if err := enc.Encode(ex); err != nil {
			return fmt.Errorf("write example %d: %w", i, err)
		}
	}
	return nil
}

package simlm

import (
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// templateRegexp is the reading of a template as a regular expression: a
// space matches a run of whitespace, a number slot digits, a word slot
// letters. The matcher must agree with it on every text.
func templateRegexp(t *template) (*regexp.Regexp, [3]int) {
	var sb strings.Builder
	nums := [3]int{-1, -1, -1}
	last, group := 0, 0
	for _, m := range slotRE.FindAllStringSubmatchIndex(t.text, -1) {
		sb.WriteString(strings.ReplaceAll(regexp.QuoteMeta(t.text[last:m[0]]), " ", `\s+`))
		group++
		switch slot := t.text[m[2]:m[3]]; slot {
		case "a", "b", "c":
			nums[slot[0]-'a'] = group
			sb.WriteString(`(\d+)`)
		default:
			sb.WriteString(`([A-Za-z]+)`)
		}
		last = m[1]
	}
	sb.WriteString(strings.ReplaceAll(regexp.QuoteMeta(t.text[last:]), " ", `\s+`))
	return regexp.MustCompile(sb.String()), nums
}

// mutate damages or disguises a question the ways prompts do: other
// whitespace, surrounding text, glued words, changed or dropped characters.
func mutate(r *rand.Rand, q string) string {
	switch r.IntN(8) {
	case 0:
		ws := []string{" ", "\n", "\t", "  ", " \n\t", "\r\n"}
		return strings.ReplaceAll(q, " ", ws[r.IntN(len(ws))])
	case 1:
		return "Question: " + q + "\nAnswer:"
	case 2:
		return "Zq" + q // glued to the leading name or number
	case 3:
		i := r.IntN(len(q))
		return q[:i] + q[i+1:]
	case 4:
		i := r.IntN(len(q))
		return q[:i] + string("a7 ?\n"[r.IntN(5)]) + q[i:]
	case 5:
		return q[:r.IntN(len(q))]
	case 6:
		return q + " " + q
	default:
		return strings.ReplaceAll(q, " ", "")
	}
}

func TestTemplateMatcherAgreesWithItsRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	res := make([]*regexp.Regexp, len(templates))
	groups := make([][3]int, len(templates))
	for i, tm := range templates {
		res[i], groups[i] = templateRegexp(tm)
	}
	matched := 0
	for _, ex := range ArithmeticDataset(5, 1500) {
		texts := []string{ex.Question}
		for range 4 {
			texts = append(texts, mutate(r, ex.Question))
		}
		for _, text := range texts {
			for i, tm := range templates {
				re, nums := res[i], groups[i]
				var want [3]int
				m := re.FindStringSubmatch(text)
				if m != nil {
					for i, g := range nums {
						if g > 0 {
							want[i], _ = strconv.Atoi(m[g])
						}
					}
				}
				got, ok := tm.match(text)
				require.Equal(t, m != nil, ok, "template %q on %q", tm.text, text)
				require.Equal(t, want, got, "template %q on %q", tm.text, text)
				if ok {
					matched++
				}
			}
		}
	}
	assert.Greater(t, matched, 1500, "the mutations must leave most questions recognisable")
}

func TestTemplatesRejectSlotsTheirNeighbourCouldExtend(t *testing.T) {
	bad := &template{text: "{name}{item} has {a}"}
	assert.Panics(t, bad.compile)
	bad = &template{text: "{a}7 apples"}
	assert.Panics(t, bad.compile)
}

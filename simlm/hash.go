package simlm

import "math"

// The simulator must be a pure function of its configuration, its seed and the
// request, across processes and Go releases. hash/maphash is randomly seeded per
// process and math/rand's derived helpers may change between releases, so the
// package carries its own small, stable hash (FNV-1a folded through a splitmix64
// finaliser) and derives every random decision from it.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// Salts keep independent decisions made from the same request independent.
const (
	saltCorrect uint64 = iota + 0x5151_0000
	saltWrong
	saltFault
	saltLatency
	saltLatency2
	saltValue
	saltInstruction
	saltGarbage
	saltReasoning
	saltDataset
	saltDescription
	saltProse
)

// mix64 is the splitmix64 finaliser: a bijection with good avalanche, so nearby
// inputs (k and k+1, seed and seed+1) give unrelated outputs.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// derive combines a base hash with a salt or index into a new, unrelated hash.
func derive(base, salt uint64) uint64 {
	return mix64(base ^ mix64(salt+0x9e3779b97f4a7c15))
}

// unit maps a hash to a float64 uniformly distributed in [0, 1).
func unit(h uint64) float64 {
	return float64(h>>11) / (1 << 53)
}

// hasher is an allocation-free streaming FNV-1a hash. Strings are length
// prefixed so that ("ab","c") and ("a","bc") hash differently.
type hasher struct{ h uint64 }

func newHasher(seed int64) hasher {
	return hasher{h: fnvOffset ^ mix64(uint64(seed))}
}

func (h *hasher) byte(b byte) {
	h.h ^= uint64(b)
	h.h *= fnvPrime
}

func (h *hasher) u64(v uint64) {
	for i := 0; i < 8; i++ {
		h.byte(byte(v >> (8 * i)))
	}
}

func (h *hasher) str(s string) {
	h.u64(uint64(len(s)))
	for i := 0; i < len(s); i++ {
		h.byte(s[i])
	}
}

func (h *hasher) bytes(b []byte) {
	h.u64(uint64(len(b)))
	for _, c := range b {
		h.byte(c)
	}
}

func (h *hasher) f64(f float64) { h.u64(math.Float64bits(f)) }

func (h *hasher) sum() uint64 { return mix64(h.h) }

// hashString hashes one string under a seed.
func hashString(seed int64, s string) uint64 {
	h := newHasher(seed)
	h.str(s)
	return h.sum()
}

// pick returns an index in [0, n) chosen by h.
func pick(h uint64, n int) int {
	if n <= 1 {
		return 0
	}
	return int(h % uint64(n))
}

// stream is a tiny deterministic generator (splitmix64) for places that need a
// sequence of draws, such as the dataset generator.
type stream struct{ state uint64 }

func newStream(seed uint64) *stream { return &stream{state: seed} }

func (s *stream) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	return mix64(s.state)
}

// intn returns a value in [lo, hi].
func (s *stream) intn(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + int(s.next()%uint64(hi-lo+1))
}

func (s *stream) float() float64 { return unit(s.next()) }

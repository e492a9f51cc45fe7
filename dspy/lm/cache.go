package lm

import (
	"hash/maphash"
	"slices"
	"sync"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// Cache stores LM responses by request key. Implementations must be safe for
// concurrent use. The client only stores successful responses, and only
// reads the Outputs, FinishReasons, Model and Usage token counts back.
type Cache interface {
	// Get returns the response stored under key, if any.
	Get(key string) (dspy.LMResponse, bool)
	// Put stores resp under key, replacing any previous entry.
	Put(key string, resp dspy.LMResponse)
}

// DefaultMemoryEntries is the memory cache size NewMemoryCache uses for a
// non-positive maxEntries; DSPy's in-memory cache holds as many.
const DefaultMemoryEntries = 1_000_000

// maxShards bounds how many independently locked parts a MemoryCache has.
// Sixty-four keeps lock contention negligible at hundreds of goroutines while
// the per-shard LRU stays a good approximation of a global one.
const maxShards = 64

// MemoryCache is an in-process LRU cache. It is split into shards, each with
// its own lock and LRU list, so concurrent callers rarely contend; eviction is
// least-recently-used within a shard, which approximates a global LRU.
type MemoryCache struct {
	seed   maphash.Seed
	shards []memShard
}

// NewMemoryCache returns an LRU cache holding at most maxEntries responses;
// maxEntries <= 0 means DefaultMemoryEntries.
func NewMemoryCache(maxEntries int) *MemoryCache {
	if maxEntries <= 0 {
		maxEntries = DefaultMemoryEntries
	}
	n := 1
	for n*2 <= maxShards && n*2 <= maxEntries {
		n *= 2
	}
	c := &MemoryCache{seed: maphash.MakeSeed(), shards: make([]memShard, n)}
	for i := range c.shards {
		// Spread the remainder so that the shard capacities sum to maxEntries.
		limit := maxEntries / n
		if i < maxEntries%n {
			limit++
		}
		c.shards[i].init(limit)
	}
	return c
}

func (c *MemoryCache) shard(key string) *memShard {
	return &c.shards[maphash.String(c.seed, key)&uint64(len(c.shards)-1)]
}

// Get returns a copy of the response stored under key and marks it recently used.
func (c *MemoryCache) Get(key string) (dspy.LMResponse, bool) {
	resp, ok := c.shard(key).get(key)
	if !ok {
		return dspy.LMResponse{}, false
	}
	return cloneResponse(resp), true
}

// Put stores a copy of resp under key, evicting the shard's least recently
// used entry when it is full.
func (c *MemoryCache) Put(key string, resp dspy.LMResponse) {
	c.shard(key).put(key, cloneResponse(resp))
}

// Len is the number of responses held.
func (c *MemoryCache) Len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.items)
		s.mu.Unlock()
	}
	return n
}

// cloneResponse copies the slices of a response so that neither the caller
// nor the cache can change what the other holds.
func cloneResponse(r dspy.LMResponse) dspy.LMResponse {
	r.Outputs = slices.Clone(r.Outputs)
	r.FinishReasons = slices.Clone(r.FinishReasons)
	r.ToolCalls = cloneToolCalls(r.ToolCalls)
	return r
}

// memShard is a mutex-guarded map plus an intrusive doubly linked list in
// recency order: root.next is the most recently used entry, root.prev the least.
type memShard struct {
	mu    sync.Mutex
	limit int
	items map[string]*memEntry
	root  memEntry
}

type memEntry struct {
	key        string
	resp       dspy.LMResponse
	prev, next *memEntry
}

func (s *memShard) init(limit int) {
	s.limit = limit
	s.items = make(map[string]*memEntry)
	s.root.prev, s.root.next = &s.root, &s.root
}

func (s *memShard) get(key string) (dspy.LMResponse, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.items[key]
	if !ok {
		return dspy.LMResponse{}, false
	}
	s.moveToFront(e)
	return e.resp, true
}

func (s *memShard) put(key string, resp dspy.LMResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.items[key]; ok {
		e.resp = resp
		s.moveToFront(e)
		return
	}
	if len(s.items) >= s.limit {
		oldest := s.root.prev
		s.unlink(oldest)
		delete(s.items, oldest.key)
	}
	e := &memEntry{key: key, resp: resp}
	s.items[key] = e
	s.pushFront(e)
}

func (s *memShard) moveToFront(e *memEntry) {
	if s.root.next == e {
		return
	}
	s.unlink(e)
	s.pushFront(e)
}

func (s *memShard) unlink(e *memEntry) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

func (s *memShard) pushFront(e *memEntry) {
	e.prev = &s.root
	e.next = s.root.next
	s.root.next.prev = e
	s.root.next = e
}

package support

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Retriever finds the FAQ entries that answer a question. The lexical
// index (*KB) is one; semantic search over embeddings (*Semantic) is
// another; the assistant fuses what they find.
type Retriever interface {
	// Retrieve returns up to k passages, best first. confident says the
	// first may be answered on its own.
	Retrieve(ctx context.Context, question string, k int) (hits []Passage, confident bool, err error)
}

// Retrieve implements Retriever with the lexical index: confident when the
// question is one the FAQ lists, or when the calibrated probability that
// the first hit is right reaches the threshold (see Offline).
func (kb *KB) Retrieve(ctx context.Context, question string, k int) ([]Passage, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	hits := kb.Search(question, max(k, 2))
	confident := len(hits) > 0 && defaultCalibration.Probability(hits) >= defaultCalibration.Threshold && !tooShortFor(hits[0].Entry, question)
	if e, ok := kb.index.listed(question); ok { // one of the FAQ's own questions: that entry, first
		hits = slices.DeleteFunc(hits, func(p Passage) bool { return p.Entry.ID == e.ID })
		hits, confident = append([]Passage{{Entry: e, Confidence: 1, QuestionMatch: 1}}, hits...), true
	}
	return hits[:min(k, len(hits))], confident, nil
}

// Embedder is the part of an OpenAI client semantic retrieval uses;
// *openai.Client has it, and so has any OpenAI-compatible /v1/embeddings
// endpoint (Ollama, DeepSeek, Qwen) behind one.
type Embedder interface {
	CreateEmbeddings(ctx context.Context, conv openai.EmbeddingRequestConverter) (openai.EmbeddingResponse, error)
}

// VectorKey names an embedding: the SHA-256 of the model and the text.
type VectorKey [32]byte

func vectorKey(model, text string) VectorKey { return sha256.Sum256([]byte(model + "\x00" + text)) }

// VectorStore keeps embeddings by key, so an FAQ text is embedded once
// per model however often the FAQ is loaded. community/support/bolt
// implements it. An implementation is safe for concurrent use.
type VectorStore interface {
	// Vectors returns the stored vectors of keys; a key with none is
	// missing from the map.
	Vectors(ctx context.Context, keys []VectorKey) (map[VectorKey][]float32, error)
	// PutVectors stores vectors, replacing any under the same keys.
	PutVectors(ctx context.Context, vs map[VectorKey][]float32) error
}

// MemoryVectors is a VectorStore in memory, for an evaluation that must
// not open the database. The zero value is ready; it is safe for
// concurrent use.
type MemoryVectors struct {
	mu sync.Mutex
	m  map[VectorKey][]float32
}

// Vectors implements VectorStore.
func (s *MemoryVectors) Vectors(ctx context.Context, keys []VectorKey) (map[VectorKey][]float32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[VectorKey][]float32{}
	for _, k := range keys {
		if v, ok := s.m[k]; ok {
			out[k] = v
		}
	}
	return out, ctx.Err()
}

// PutVectors implements VectorStore.
func (s *MemoryVectors) PutVectors(ctx context.Context, vs map[VectorKey][]float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[VectorKey][]float32{}
	}
	maps.Copy(s.m, vs)
	return nil
}

// SemanticConfig configures semantic retrieval. A zero field means "use
// the default".
type SemanticConfig struct {
	Model string // the embedding model, such as "text-embedding-3-small" or "bge-m3"
	// Threshold is the cosine similarity from which the closest entry is
	// answered on its own. Zero: fitted on the FAQ's own questions each
	// time it is indexed (see fitThreshold).
	Threshold float64
	Batch     int           // texts per request; default 64
	Timeout   time.Duration // per question; default 5s
}

// ErrNotIndexed is returned by Retrieve before the FAQ has been indexed.
var ErrNotIndexed = errors.New("support: the FAQ has no embeddings yet")

// Semantic is retrieval by meaning: each FAQ entry's listed questions and
// answers are embedded through an OpenAI-compatible /v1/embeddings
// endpoint, and a question finds the entries with the most similar
// vectors. It is safe for concurrent use.
type Semantic struct {
	client Embedder
	store  VectorStore
	cfg    SemanticConfig
	log    *slog.Logger

	indexing sync.Mutex // one Index at a time
	idx      atomic.Pointer[semanticIndex]
}

// semanticIndex is the vectors of one knowledge base.
type semanticIndex struct {
	kb        *KB
	vecs      [][]float32 // unit length
	owner     []int       // vecs[i] belongs to kb.Entries[owner[i]]
	question  []bool      // vecs[i] is a listed question (not an answer)
	threshold float64
}

// NewSemantic returns semantic retrieval through client, caching the FAQ's
// vectors in store. It does no I/O: Index embeds the FAQ.
func NewSemantic(client Embedder, store VectorStore, cfg SemanticConfig, log *slog.Logger) *Semantic {
	if cfg.Batch <= 0 {
		cfg.Batch = 64
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Semantic{client: client, store: store, cfg: cfg, log: log.With("component", "support", "embeddings", cfg.Model)}
}

// Index makes kb searchable: it embeds the texts of kb's entries that the
// store does not have for the model yet (in batches), stores them, and
// fits the answer threshold. It does nothing when kb is indexed already.
// On an error the previous index keeps serving.
func (s *Semantic) Index(ctx context.Context, kb *KB) error {
	s.indexing.Lock()
	defer s.indexing.Unlock()
	if cur := s.idx.Load(); cur != nil && cur.kb == kb {
		return nil
	}
	next := &semanticIndex{kb: kb}
	var texts []string
	for i, e := range kb.Entries {
		for _, lang := range slices.Sorted(maps.Keys(e.Questions)) {
			for _, q := range e.Questions[lang] {
				texts, next.owner, next.question = append(texts, q), append(next.owner, i), append(next.question, true)
			}
		}
		for _, lang := range slices.Sorted(maps.Keys(e.Answer)) {
			texts, next.owner, next.question = append(texts, e.Answer[lang]), append(next.owner, i), append(next.question, false)
		}
	}
	vecs, err := s.vectors(ctx, texts)
	if err != nil {
		return fmt.Errorf("index the FAQ's embeddings: %w", err)
	}
	next.vecs = vecs
	next.threshold = s.cfg.Threshold
	if next.threshold == 0 {
		next.threshold = next.fitThreshold()
	}
	s.idx.Store(next)
	s.log.InfoContext(ctx, "FAQ embeddings indexed", "entries", len(kb.Entries), "texts", len(texts), "threshold", next.threshold)
	return nil
}

// vectors returns unit vectors of texts, from the store where it has
// them and from the model for the rest, which it then stores.
func (s *Semantic) vectors(ctx context.Context, texts []string) ([][]float32, error) {
	keys := make([]VectorKey, len(texts))
	for i, t := range texts {
		keys[i] = vectorKey(s.cfg.Model, t)
	}
	have, err := s.store.Vectors(ctx, keys)
	if err != nil {
		return nil, err
	}
	var missing []int // the first text of each key the store lacks
	asked := map[VectorKey]bool{}
	for i, k := range keys {
		if _, ok := have[k]; !ok && !asked[k] {
			asked[k] = true
			missing = append(missing, i)
		}
	}
	for start := 0; start < len(missing); start += s.cfg.Batch {
		batch := missing[start:min(start+s.cfg.Batch, len(missing))]
		in := make([]string, len(batch))
		for j, i := range batch {
			in[j] = texts[i]
		}
		got, err := s.embed(ctx, in)
		if err != nil {
			return nil, err
		}
		fresh := map[VectorKey][]float32{}
		for j, i := range batch {
			fresh[keys[i]], have[keys[i]] = got[j], got[j]
		}
		if err := s.store.PutVectors(ctx, fresh); err != nil {
			return nil, err
		}
	}
	out := make([][]float32, len(texts))
	for i, k := range keys {
		out[i] = have[k]
	}
	return out, nil
}

// embed asks the model for the unit vectors of texts, in their order.
func (s *Semantic) embed(ctx context.Context, texts []string) ([][]float32, error) {
	resp, err := s.client.CreateEmbeddings(ctx, openai.EmbeddingRequest{Input: texts, Model: openai.EmbeddingModel(s.cfg.Model)})
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(texts))
	for _, d := range resp.Data {
		if d.Index < 0 || d.Index >= len(texts) || len(d.Embedding) == 0 {
			return nil, fmt.Errorf("embeddings: the endpoint returned item %d of %d (%d numbers)", d.Index, len(texts), len(d.Embedding))
		}
		out[d.Index] = unit(d.Embedding)
	}
	for i, v := range out {
		if v == nil {
			return nil, fmt.Errorf("embeddings: the endpoint returned no vector for item %d of %d", i, len(texts))
		}
		if len(v) != len(out[0]) {
			return nil, fmt.Errorf("embeddings: vectors of %d and %d numbers in one answer", len(out[0]), len(v))
		}
	}
	return out, nil
}

// Retrieve implements Retriever: the entries whose closest text is most
// similar to the question (cosine), confident when the first reaches the
// threshold. It returns ErrNotIndexed before Index has succeeded.
func (s *Semantic) Retrieve(ctx context.Context, question string, k int) ([]Passage, bool, error) {
	idx := s.idx.Load()
	if idx == nil {
		return nil, false, ErrNotIndexed
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	qv, err := s.embed(ctx, []string{question})
	if err != nil {
		return nil, false, fmt.Errorf("embed the question: %w", err)
	}
	if len(idx.vecs) > 0 && len(qv[0]) != len(idx.vecs[0]) {
		return nil, false, fmt.Errorf("embeddings: the question has %d numbers, the FAQ's vectors %d (was the model changed?)", len(qv[0]), len(idx.vecs[0]))
	}
	hits := idx.nearest(qv[0], nil, k)
	return hits, len(hits) > 0 && hits[0].Score >= idx.threshold, nil
}

// Threshold returns the cosine from which the closest entry is answered,
// or 0 before the FAQ is indexed.
func (s *Semantic) Threshold() float64 {
	if idx := s.idx.Load(); idx != nil {
		return idx.threshold
	}
	return 0
}

// nearest returns up to k entries by their closest vector to q, best
// first, leaving out the vectors skip names (nil: none).
func (idx *semanticIndex) nearest(q []float32, skip func(i int) bool, k int) []Passage {
	best := make([]float64, len(idx.kb.Entries))
	for i := range best {
		best[i] = math.Inf(-1)
	}
	for i, v := range idx.vecs {
		if skip == nil || !skip(i) {
			best[idx.owner[i]] = max(best[idx.owner[i]], cosine(q, v))
		}
	}
	order := make([]int, len(best))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(best[b], best[a]) })
	var out []Passage
	for _, i := range order[:min(k, len(order))] {
		if !math.IsInf(best[i], -1) {
			out = append(out, Passage{Entry: idx.kb.Entries[i], Score: best[i], Confidence: best[i]})
		}
	}
	return out
}

// never is a threshold no cosine reaches.
const never = 2.0

// fitThreshold chooses the cosine from which the closest entry is
// answered, from the FAQ alone, so it suits whatever model embeds it.
// Each listed question, left out in turn, is a member asking it: the
// closest entry among the rest is a right answer when it is the
// question's own, a wrong one otherwise. The threshold maximises
// right − 3·wrong, the cost of a wrong answer in the offline calibration;
// it is never (above any cosine) when no threshold gains. The FAQ has no questions
// it does not answer, so this fit knows nothing of those: measure them
// with "loyalbot faq eval" and set support.embeddings_threshold.
func (idx *semanticIndex) fitThreshold() float64 {
	type outcome struct {
		score float64
		gain  float64 // +1 right, −3 wrong
	}
	var os []outcome
	for i, isQ := range idx.question {
		if !isQ {
			continue
		}
		own := idx.owner[i]
		if hits := idx.nearest(idx.vecs[i], func(j int) bool { return j == i }, 1); len(hits) > 0 {
			g := -3.0
			if hits[0].Entry.ID == idx.kb.Entries[own].ID {
				g = 1
			}
			os = append(os, outcome{hits[0].Score, g})
		}
	}
	// Sweep the threshold down from the highest score: each outcome at or
	// above it counts.
	slices.SortFunc(os, func(a, b outcome) int { return cmp.Compare(b.score, a.score) })
	bestT, bestGain, gain := never, 0.0, 0.0
	for i, o := range os {
		gain += o.gain
		if (i+1 == len(os) || os[i+1].score < o.score) && gain > bestGain {
			bestT, bestGain = o.score, gain
		}
	}
	return bestT
}

// Fuse merges ranked lists of passages by reciprocal rank fusion (each
// list gives an entry 1/(60+rank)) and returns up to k, best first; an
// entry keeps the passage of the first list that has it.
func Fuse(k int, lists ...[]Passage) []Passage {
	const c = 60 // the usual constant: top ranks count, no list dominates
	score := map[string]float64{}
	first := map[string]Passage{}
	var ids []string
	for _, l := range lists {
		for rank, p := range l {
			id := p.Entry.ID
			if _, ok := first[id]; !ok {
				first[id] = p
				ids = append(ids, id)
			}
			score[id] += 1 / float64(c+rank+1)
		}
	}
	slices.SortStableFunc(ids, func(a, b string) int { return cmp.Compare(score[b], score[a]) })
	out := make([]Passage, 0, min(k, len(ids)))
	for _, id := range ids[:min(k, len(ids))] {
		out = append(out, first[id])
	}
	return out
}

// unit returns v scaled to length 1 (zero stays zero).
func unit(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	n = math.Sqrt(n)
	out := make([]float32, len(v))
	if n == 0 {
		return out
	}
	for i, x := range v {
		out[i] = float32(float64(x) / n)
	}
	return out
}

// cosine is the cosine similarity of two unit vectors.
func cosine(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

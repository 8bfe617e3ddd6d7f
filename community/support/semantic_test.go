package support_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/community/support/supporttest"
)

func newSemantic(t *testing.T, f *supporttest.FakeEmbeddings, store support.VectorStore, threshold float64) *support.Semantic {
	t.Helper()
	return support.NewSemantic(f.Client(), store, support.SemanticConfig{Model: supporttest.FakeEmbeddingsModel, Threshold: threshold, Batch: 50}, nil)
}

// TestSemantic_FusedWithLexical: with embeddings, a question in words the
// FAQ does not use is answered from the entry nearest in meaning; what
// the offline index answers is still answered; an unrelated question is
// declined; the model's passages are the two rankings fused.
func TestSemantic_FusedWithLexical(t *testing.T) {
	ctx := context.Background()
	f := supporttest.NewFakeEmbeddings(t)
	kb := loadLumen(t)
	sem := newSemantic(t, f, &support.MemoryVectors{}, 0.8)
	if _, _, err := sem.Retrieve(ctx, "anything", 3); !errors.Is(err, support.ErrNotIndexed) {
		t.Fatalf("retrieve before indexing: %v, want ErrNotIndexed", err)
	}
	if err := sem.Index(ctx, kb); err != nil {
		t.Fatal(err)
	}
	a := support.NewAssistant(kb, nil, support.Config{Semantic: sem}, nil)
	tests := []struct{ q, offline, fused string }{
		{"what perks come with each level", "", "tier-benefits"},
		{"How long does shipping take?", "shipping-time", "shipping-time"},
		{"whats the weather in shanghai tmrw", "", ""},
	}
	for _, tt := range tests {
		if got := support.Offline(kb, tt.q).EntryID; got != tt.offline {
			t.Fatalf("%q offline: %q, want %q (the test's premise)", tt.q, got, tt.offline)
		}
		got, hits := a.FAQAnswer(ctx, tt.q)
		if got.EntryID != tt.fused {
			t.Errorf("%q with embeddings: %q, want %q", tt.q, got.EntryID, tt.fused)
		}
		if tt.fused != "" && (got.Source != "faq" || got.Text == "" || !slices.Contains(ids(hits), tt.fused)) {
			t.Errorf("%q: answer %+v, passages %v", tt.q, got, ids(hits))
		}
	}
}

func ids(ps []support.Passage) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Entry.ID)
	}
	return out
}

// TestSemantic_CachedByText: the FAQ's vectors are stored by model and
// text: indexing again, or after a restart with the same store, embeds
// nothing; a new entry embeds only its own texts.
func TestSemantic_CachedByText(t *testing.T) {
	ctx := context.Background()
	f := supporttest.NewFakeEmbeddings(t)
	kb := loadLumen(t)
	store := &support.MemoryVectors{}
	texts := 0
	for _, e := range kb.Entries {
		for _, qs := range e.Questions {
			texts += len(qs)
		}
		texts += len(e.Answer)
	}
	if err := newSemantic(t, f, store, 0).Index(ctx, kb); err != nil {
		t.Fatal(err)
	}
	if got := f.Embedded(); got != texts {
		t.Fatalf("first index embedded %d texts, want %d", got, texts)
	}
	sem := newSemantic(t, f, store, 0) // a restart
	if err := sem.Index(ctx, kb); err != nil || f.Embedded() != texts {
		t.Fatalf("second index embedded %d more (%v)", f.Embedded()-texts, err)
	}
	more := kb.With([]support.Entry{{ID: "learned-1", Questions: map[string][]string{"en": {"Can my dog come in?"}}, Answer: map[string]string{"en": "Dogs on a lead are welcome."}}}, nil)
	if err := sem.Index(ctx, more); err != nil || f.Embedded() != texts+2 {
		t.Errorf("a new entry embedded %d texts (%v), want its 2", f.Embedded()-texts, err)
	}
}

// TestSemantic_EndpointTrouble: when the embeddings endpoint is down, or
// answers vectors of another length (a changed model), questions are
// answered from the offline index, and a failed index keeps the last one.
func TestSemantic_EndpointTrouble(t *testing.T) {
	ctx := context.Background()
	f := supporttest.NewFakeEmbeddings(t)
	kb := loadLumen(t)
	sem := newSemantic(t, f, &support.MemoryVectors{}, 0.8)
	a := support.NewAssistant(kb, nil, support.Config{Semantic: sem}, nil)
	const known = "How long does shipping take?"
	if got, _ := a.FAQAnswer(ctx, known); got.EntryID != "shipping-time" {
		t.Errorf("before any index: %q", got.EntryID)
	}
	if err := sem.Index(ctx, kb); err != nil {
		t.Fatal(err)
	}
	f.SetDown(true)
	if got, _ := a.FAQAnswer(ctx, known); got.EntryID != "shipping-time" {
		t.Errorf("endpoint down: %q", got.EntryID)
	}
	more := kb.With([]support.Entry{{ID: "learned-1", Questions: map[string][]string{"en": {"Can my dog come in?"}}, Answer: map[string]string{"en": "Dogs are welcome."}}}, nil)
	if err := sem.Index(ctx, more); err == nil {
		t.Error("indexing with the endpoint down succeeded")
	}
	f.SetDown(false)
	if got, _ := a.FAQAnswer(ctx, "what perks come with each level"); got.EntryID != "tier-benefits" {
		t.Errorf("after a failed index the last one should serve: %q", got.EntryID)
	}
	f.SetDims(128)
	if _, _, err := sem.Retrieve(ctx, known, 3); err == nil {
		t.Error("vectors of another length were compared")
	}
	if got, _ := a.FAQAnswer(ctx, known); got.EntryID != "shipping-time" {
		t.Errorf("changed model: %q", got.EntryID)
	}
}

// sureRetriever is a Retriever that is always sure of one entry.
type sureRetriever struct{ entry support.Entry }

func (r sureRetriever) Retrieve(context.Context, string, int) ([]support.Passage, bool, error) {
	return []support.Passage{{Entry: r.entry, Score: 0.99}}, true, nil
}

// TestFAQAnswer_RetrieversDisagree: when the offline index and another
// retriever are both sure, of different entries, the bot declines; when
// they agree, it answers.
func TestFAQAnswer_RetrieversDisagree(t *testing.T) {
	ctx := context.Background()
	kb := loadLumen(t)
	const q = "How long does shipping take?"
	other, _ := kb.Entry("returns-policy")
	same, _ := kb.Entry("shipping-time")
	if got, _ := support.NewAssistant(kb, nil, support.Config{Semantic: sureRetriever{other}}, nil).FAQAnswer(ctx, q); got.Source != "none" {
		t.Errorf("disagreeing retrievers answered %q", got.EntryID)
	}
	if got, _ := support.NewAssistant(kb, nil, support.Config{Semantic: sureRetriever{same}}, nil).FAQAnswer(ctx, q); got.EntryID != "shipping-time" {
		t.Errorf("agreeing retrievers answered %q", got.EntryID)
	}
}

// TestSemantic_FittedThreshold: with no threshold configured, it is fitted
// on the FAQ's own questions, each left out in turn. On an FAQ whose
// entries the model tells apart, the fit answers their paraphrases and
// not an unrelated question; on the Lumen FAQ, where this toy model
// confuses neighbouring entries, it answers only near copies of a listed
// question on embeddings alone.
func TestSemantic_FittedThreshold(t *testing.T) {
	ctx := context.Background()
	f := supporttest.NewFakeEmbeddings(t)
	clear, err := support.LoadKB([]byte(`brand: T
entries:
  - id: linking
    questions: {en: ["How do I link my Discord account?", "Can I connect Discord and Telegram?", "How to merge my Discord and Telegram points?"]}
    answer: {en: "Send /link on one app and the code on the other."}
  - id: perks
    questions: {en: ["What perks do Jade members have?", "Which benefits come with Jade?", "What privileges does Jade give?"]}
    answer: {en: "Jade members earn double points."}
  - id: parcels
    questions: {en: ["Where is my parcel?", "How do I track my parcel?", "My parcel is late"]}
    answer: {en: "Track parcels from the link in your e-mail."}
`))
	if err != nil {
		t.Fatal(err)
	}
	sem := newSemantic(t, f, &support.MemoryVectors{}, 0)
	if err := sem.Index(ctx, clear); err != nil {
		t.Fatal(err)
	}
	if th := sem.Threshold(); th <= 0 || th > 1 {
		t.Fatalf("fitted threshold %v, want one in (0, 1]", th)
	}
	for q, want := range map[string]bool{"hook up discord with telegram": true, "jade goodies": true, "recipe for dumplings": false} {
		hits, sure, err := sem.Retrieve(ctx, q, 3)
		if err != nil || sure != want {
			t.Errorf("%q: sure %v (%v, top %v at threshold %.3f), want %v", q, sure, err, ids(hits), sem.Threshold(), want)
		}
	}
	lumen := newSemantic(t, f, &support.MemoryVectors{}, 0)
	if err := lumen.Index(ctx, loadLumen(t)); err != nil {
		t.Fatal(err)
	}
	if th := lumen.Threshold(); th < 0.99 {
		t.Errorf("on the Lumen FAQ the toy model answers alone from %.3f, want only near copies of a listed question", th)
	}
}

// TestFuse: reciprocal rank fusion rewards entries both rankings place
// high, and keeps the first list's passage.
func TestFuse(t *testing.T) {
	p := func(id string, score float64) support.Passage {
		return support.Passage{Entry: support.Entry{ID: id}, Score: score}
	}
	// a: 1/61 + 1/63, b: 1/62 + 1/61, c: 1/63, d: 1/62.
	got := support.Fuse(3, []support.Passage{p("a", 9), p("b", 8), p("c", 7)}, []support.Passage{p("b", 0.9), p("d", 0.8), p("a", 0.7)})
	if want := []string{"b", "a", "d"}; !slices.Equal(ids(got), want) {
		t.Errorf("fused %v, want %v", ids(got), want)
	}
	if got[0].Score != 8 {
		t.Errorf("b kept score %v, want the first list's 8", got[0].Score)
	}
	if got := support.Fuse(5, nil, []support.Passage{p("x", 1)}); !slices.Equal(ids(got), []string{"x"}) {
		t.Errorf("one empty list: %v", ids(got))
	}
}

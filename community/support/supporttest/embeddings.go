package supporttest

import (
	"encoding/json"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode"

	openai "github.com/sashabaranov/go-openai"
)

// FakeEmbeddings is an OpenAI-compatible /v1/embeddings server for tests,
// speaking the real wire format so the real client runs against it. Its
// model, "fake-embed", counts the words of a text into 96 dimensions:
// words of one concept (link, hook, connect, tie, merge; benefits, perks,
// privileges, goodies) share a dimension, common function words are left
// out, and other words and each Chinese character are hashed. It is not a
// quality claim, only a model whose neighbours a test can predict. It
// wants the bearer token "test-key".
type FakeEmbeddings struct {
	URL string // the base URL, ending in /v1

	srv    *httptest.Server
	mu     sync.Mutex
	inputs int  // texts embedded
	down   bool // answer 503
	dims   int  // vector length
}

// FakeEmbeddingsModel is the model FakeEmbeddings answers for.
const FakeEmbeddingsModel = "fake-embed"

var (
	fakeConcepts = map[string]int{"link": 1, "hook": 1, "connect": 1, "tie": 1, "merge": 1,
		"benefits": 2, "perks": 2, "privileges": 2, "goodies": 2}
	fakeStop = func() map[string]bool {
		m := map[string]bool{}
		for _, w := range strings.Fields("a an the i me my you your we our us is are am be do does did can could will would to of in on for at by with and or it its this that how what when where why which who if not no there any from as so get") {
			m[w] = true
		}
		return m
	}()
)

// NewFakeEmbeddings starts the server; it stops when t ends.
func NewFakeEmbeddings(t testing.TB) *FakeEmbeddings {
	f := &FakeEmbeddings{dims: 96}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	f.URL = f.srv.URL + "/v1"
	return f
}

// Client returns an OpenAI client for the server.
func (f *FakeEmbeddings) Client() *openai.Client {
	cfg := openai.DefaultConfig("test-key")
	cfg.BaseURL = f.URL
	return openai.NewClientWithConfig(cfg)
}

// Embedded returns how many texts the server has embedded.
func (f *FakeEmbeddings) Embedded() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inputs
}

// SetDown makes the server answer 503 Service Unavailable, or not.
func (f *FakeEmbeddings) SetDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

// SetDims changes the length of the vectors, as a different model would.
func (f *FakeEmbeddings) SetDims(n int) {
	f.mu.Lock()
	f.dims = n
	f.mu.Unlock()
}

func (f *FakeEmbeddings) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/v1/embeddings" || r.Header.Get("Authorization") != "Bearer test-key" {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`)
		return
	}
	var req struct {
		Input []string `json:"input"`
		Model string   `json:"model"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != FakeEmbeddingsModel {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`)
		return
	}
	f.mu.Lock()
	down, dims := f.down, f.dims
	if !down {
		f.inputs += len(req.Input)
	}
	f.mu.Unlock()
	if down {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":{"message":"overloaded","type":"server_error"}}`)
		return
	}
	type item struct {
		Object    string    `json:"object"`
		Embedding []float32 `json:"embedding"`
		Index     int       `json:"index"`
	}
	resp := struct {
		Object string         `json:"object"`
		Data   []item         `json:"data"`
		Model  string         `json:"model"`
		Usage  map[string]int `json:"usage"`
	}{Object: "list", Model: req.Model, Usage: map[string]int{"prompt_tokens": len(req.Input), "total_tokens": len(req.Input)}}
	for i, in := range req.Input {
		resp.Data = append(resp.Data, item{Object: "embedding", Embedding: fakeVector(in, dims), Index: i})
	}
	json.NewEncoder(w).Encode(resp)
}

func fakeVector(text string, dims int) []float32 {
	v := make([]float32, dims)
	hashed := func(s string) {
		h := fnv.New32a()
		h.Write([]byte(s))
		v[16+int(h.Sum32()%uint32(dims-16))]++
	}
	isHan := func(r rune) bool { return unicode.Is(unicode.Han, r) }
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) || isHan(r) }) {
		switch c, ok := fakeConcepts[w]; {
		case fakeStop[w]:
		case ok:
			v[c] += 3
		default:
			hashed(w)
		}
	}
	for _, r := range text {
		if isHan(r) {
			hashed(string(r))
		}
	}
	return v
}

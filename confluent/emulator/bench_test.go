package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
)

// serve sends a request straight to the handler, for benchmarks.
func serve(tb testing.TB, e *Emulator, method, path string, body any, want int) []byte {
	tb.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	req := httptest.NewRequest(method, path, strings.NewReader(string(data)))
	req.SetBasicAuth("key", "secret")
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != want {
		tb.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// pipelines builds n running statements, each copying its own external
// topic src-i to sink-i, in pools of 50 CFU.
func pipelines(tb testing.TB, n int, opts ...Option) (*Emulator, *fakeClock) {
	tb.Helper()
	clock := newFakeClock()
	var tables []string
	for i := range n {
		tables = append(tables, fmt.Sprintf("src-%d", i), fmt.Sprintf("sink-%d", i))
	}
	e, err := New(append([]Option{Clock(clock.Now), ExternalTables(tables)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = e.Close() })
	var pool confluent.ComputePool
	for i := range n {
		if i%MaxPoolCFU == 0 {
			if err := json.Unmarshal(serve(tb, e, "POST", pools, poolBody(fmt.Sprintf("p%d", i), MaxPoolCFU), http.StatusAccepted), &pool); err != nil {
				tb.Fatal(err)
			}
		}
		in := createBody(fmt.Sprintf("dml-%d", i), fmt.Sprintf("INSERT INTO `sink-%d` SELECT * FROM `src-%d`", i, i))
		in.Spec.ComputePoolID = pool.ID
		serve(tb, e, "POST", stmts, in, http.StatusCreated)
	}
	clock.Advance(1)
	e.mu.Lock()
	e.advance(e.now())
	running := len(runOrder(e.m.Environments[testEnv]))
	e.mu.Unlock()
	if running != n {
		tb.Fatalf("%d statements run, want %d", running, n)
	}
	return e, clock
}

// BenchmarkTick is the data plane's cost: 100 statements moving 100,000
// records per tick (1,000 new records in each one's source). "contiguous"
// records come from consecutive offsets of one origin, one run each time;
// "fragmented" ones each have an origin apart from the last (as the output
// of a join can), one run per record, which is the run-length encoding's
// worst case: O(records). The topics are emptied between ticks, off the
// clock, so every tick does the same work.
func BenchmarkTick(b *testing.B) {
	const statements, perSource = 100, 1000
	for _, fragmented := range []bool{false, true} {
		name := map[bool]string{false: "contiguous", true: "fragmented"}[fragmented]
		b.Run(name, func(b *testing.B) {
			e, _ := pipelines(b, statements)
			env := e.m.Environments[testEnv]
			batch := []run{{First: 0, N: perSource}}
			if fragmented {
				batch = make([]run, perSource)
				for i := range batch {
					batch[i] = run{First: uint64(2 * i), N: 1}
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				e.mu.Lock()
				for _, st := range env.Statements {
					clear(st.Positions)
				}
				for _, t := range env.Topics {
					t.Runs, t.end = t.Runs[:0], 0
				}
				for i := range statements {
					src := e.m.topic(env, fmt.Sprintf("src-%d", i))
					for j := range batch {
						batch[j].Src = src.Source
					}
					src.append(batch, 1)
				}
				e.mu.Unlock()
				b.StartTimer()
				if moved := e.Tick(""); moved != statements*perSource {
					b.Fatalf("moved %d records", moved)
				}
			}
			b.ReportMetric(float64(b.N)*statements*perSource/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkStateFile is the cost of one write of the state file of 1,000
// statements whose 2,000 topics (sources and sinks) hold 1,000 records
// each, contiguous (a run a topic) or fragmented (a run a record: two
// million runs); "encode-ms" is the part with the model locked. This is
// what SaveInterval spreads over a burst of changes.
func BenchmarkStateFile(b *testing.B) {
	const statements, records = 1000, 1000
	for _, fragmented := range []bool{false, true} {
		name := map[bool]string{false: "contiguous", true: "fragmented"}[fragmented]
		b.Run(name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "state.json")
			e, _ := pipelines(b, statements, StateFile(path))
			env := e.m.Environments[testEnv]
			e.mu.Lock()
			for i := range statements {
				src := e.m.topic(env, fmt.Sprintf("src-%d", i))
				for j := range records {
					first := uint64(j)
					if fragmented {
						first *= 2
					}
					src.append([]run{{Src: src.Source, First: first, N: 1}}, 1)
				}
			}
			e.mu.Unlock()
			e.Tick("")
			var encode time.Duration
			b.ResetTimer()
			for range b.N {
				began := time.Now()
				e.mu.Lock()
				data, err := e.m.encode()
				e.mu.Unlock()
				encode += time.Since(began)
				if err == nil {
					err = e.writeState(data)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			info, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(info.Size())/(1<<20), "MB/file")
			b.ReportMetric(float64(encode.Milliseconds())/float64(b.N), "encode-ms")
		})
	}
}

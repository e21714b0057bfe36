package emulator

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestTopicRuns(t *testing.T) {
	var tp topic
	tp.Source = 1
	tp.produce(5, 10)                                // offsets 0-4, origin 1:0-4
	tp.produce(3, 10)                                // merged: same origin, instant and continuation
	tp.produce(2, 20)                                // a new run: another instant
	tp.append([]run{{Src: 2, First: 7, N: 4}}, 20)   // another origin
	tp.append([]run{{Src: 2, First: 11, N: 1}}, 20)  // continues it
	tp.append([]run{{Src: 2, First: 100, N: 1}}, 20) // does not
	if tp.end != 16 || len(tp.Runs) != 4 {
		t.Fatalf("end %d, runs %+v", tp.end, tp.Runs)
	}
	tests := []struct {
		from uint64
		want []run
	}{
		{0, tp.Runs},
		{6, []run{{1, 6, 2, 10, 6}, {1, 8, 2, 20, 8}, {2, 7, 5, 20, 10}, {2, 100, 1, 20, 15}}},
		{8, tp.Runs[1:]},
		{15, []run{{2, 100, 1, 20, 15}}},
		{16, nil},
		{99, nil},
	}
	for _, tt := range tests {
		if got := tp.from(tt.from); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("from(%d) = %+v, want %+v", tt.from, got, tt.want)
		}
	}
	for ms, want := range map[int64]uint64{0: 0, 10: 0, 11: 8, 20: 8, 21: 16} {
		if got := tp.offsetAt(ms); got != want {
			t.Errorf("offsetAt(%d) = %d, want %d", ms, got, want)
		}
	}

	m := newModel(nil)
	m.env("e").Topics["t"] = &tp
	data, err := m.encode()
	if err != nil {
		t.Fatal(err)
	}
	back := newModel(nil)
	if err := json.Unmarshal(data, back); err != nil {
		t.Fatal(err)
	}
	bt := back.Environments["e"].Topics["t"]
	if err := bt.decode(); err != nil || !reflect.DeepEqual(*bt, tp) {
		t.Errorf("round trip %s: %+v (%v), want %+v", data, bt, err, tp)
	}
	if tp.Records != "" {
		t.Errorf("the encoding stayed in the topic")
	}
	one := encodeRuns([]run{{Src: 1, First: 2, N: 1, At: 3}}) // AQIBBg==: 1, 2, 1, +3
	for _, bad := range []string{"!!", "AQID", "gA==", strings.Replace(one, "AQIB", "AQIA", 1), ""} {
		if _, err := decodeRuns(bad); err == nil && bad != "" {
			t.Errorf("%q decoded", bad)
		}
	}
}

func TestOrigins(t *testing.T) {
	tests := []struct {
		name  string
		adds  [][3]uint64
		want  map[uint32][]span
		count uint64
	}{
		{"in order, merged", [][3]uint64{{1, 0, 5}, {1, 5, 8}, {1, 7, 9}}, map[uint32][]span{1: {{0, 9}}}, 9},
		{"a gap", [][3]uint64{{1, 0, 5}, {1, 6, 8}}, map[uint32][]span{1: {{0, 5}, {6, 8}}}, 7},
		{"out of order, bridging", [][3]uint64{{1, 10, 12}, {1, 20, 22}, {1, 0, 2}, {1, 2, 20}}, map[uint32][]span{1: {{0, 22}}}, 22},
		{"out of order, alone", [][3]uint64{{1, 10, 12}, {1, 3, 4}}, map[uint32][]span{1: {{3, 4}, {10, 12}}}, 3},
		{"inside", [][3]uint64{{1, 0, 10}, {1, 3, 4}}, map[uint32][]span{1: {{0, 10}}}, 10},
		{"sources apart", [][3]uint64{{1, 0, 2}, {2, 0, 2}}, map[uint32][]span{1: {{0, 2}}, 2: {{0, 2}}}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := origins{}
			var runs []run
			for _, a := range tt.adds {
				o.add(uint32(a[0]), a[1], a[2])
				runs = append(runs, run{Src: uint32(a[0]), First: a[1], N: a[2] - a[1]})
			}
			if !reflect.DeepEqual(map[uint32][]span(o), tt.want) || o.count() != tt.count {
				t.Errorf("add: %v (%d), want %v (%d)", o, o.count(), tt.want, tt.count)
			}
			if got := originsOf(runs); !reflect.DeepEqual(map[uint32][]span(got), tt.want) {
				t.Errorf("originsOf: %v, want %v", got, tt.want)
			}
			data, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			var back origins
			if err := json.Unmarshal(data, &back); err != nil || !reflect.DeepEqual(back, o) {
				t.Errorf("JSON round trip %s: %v, %v", data, back, err)
			}
		})
	}
}

func TestMissingFrom(t *testing.T) {
	set := func(spans ...[3]uint64) origins {
		o := origins{}
		for _, s := range spans {
			o.add(uint32(s[0]), s[1], s[2])
		}
		return o
	}
	tests := []struct {
		name       string
		have, from origins
		want       uint64
	}{
		{"all there", set([3]uint64{1, 0, 10}), set([3]uint64{1, 0, 10}), 0},
		{"none there", set([3]uint64{1, 0, 10}), set(), 10},
		{"another source", set([3]uint64{1, 0, 10}), set([3]uint64{2, 0, 10}), 10},
		{"holes", set([3]uint64{1, 0, 10}), set([3]uint64{1, 2, 4}, [3]uint64{1, 6, 7}), 7},
		{"more than needed", set([3]uint64{1, 3, 5}), set([3]uint64{1, 0, 10}), 0},
		{"tail missing", set([3]uint64{1, 0, 10}, [3]uint64{1, 20, 30}), set([3]uint64{1, 0, 25}), 5},
	}
	for _, tt := range tests {
		if got := tt.have.missingFrom(tt.from); got != tt.want {
			t.Errorf("%s: %d missing, want %d", tt.name, got, tt.want)
		}
	}
}

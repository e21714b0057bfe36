package inventory

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/shiftleft/shiftleft/flinksql"
)

// ScriptsDir is the folder name that marks a table folder.
const ScriptsDir = "sql-scripts"

// DefaultRoot is the pipelines folder name used when none is given.
const DefaultRoot = "pipelines"

// Options tune Build.
type Options struct {
	// Root is the pipelines folder name, the first element of every stored
	// path ("pipelines/facts/..."). Default DefaultRoot.
	Root string
	// DropUnknownRefs drops references to tables that are nowhere in the tree
	// instead of making them external_kafka parents (shift_left's
	// SL_KEEP_UNKNOWN_SQL_REFS_AS_EXTERNAL_KAFKA=false).
	DropUnknownRefs bool
	// Workers bounds parallel parsing; default GOMAXPROCS.
	Workers int
	// Cache, when set, keeps what builds of trees addressed by content
	// found, for the next builds (see [Cache]).
	Cache *Cache
	// BeforeRead, when set, is called with each SQL file's path, as errors
	// name it, before the file is read, from the goroutine that reads it.
	// With Workers 1 the files are read one at a time in path order, so the
	// last call names the file being read: a caller that the file could kill
	// (a stack overflow cannot be recovered) can record it first.
	BeforeRead func(file string)
}

// Build scans fsys, whose root is the pipelines folder, for sql-scripts
// folders and returns every table with its parents. It reports every broken
// file at once, each error naming the file and the table; on error the
// inventory is nil. A panic while reading a file is an error naming that
// file (ErrPanic), not a crash.
//
// With opts.Cache, and a tree addressed by content (see [Hashed]), the
// result is the same, byte for byte, but what an earlier build of the same
// content found is reused rather than read again (see [Cache]); the
// inventory may then be the one an earlier build returned, and is shared:
// it must not be changed.
func Build(fsys fs.FS, opts Options) (*Inventory, []Warning, error) {
	if opts.Root == "" {
		opts.Root = DefaultRoot
	}
	if opts.Workers <= 0 {
		opts.Workers = 4 * runtime.GOMAXPROCS(0)
	}
	whole, hashed := treeKey(fsys, opts)
	if hashed {
		if b, ok := opts.Cache.tree(whole); ok {
			return b.inv, slices.Clip(b.warnings), nil
		}
	}
	s, err := scanTree(fsys, opts)
	if err != nil {
		return nil, nil, err
	}
	inv, warnings, err := assemble(fsys, s.folders, s.manifests, opts)
	if hashed && err == nil && !s.transient {
		opts.Cache.putTree(whole, &built{inv: inv, warnings: warnings})
	}
	return inv, warnings, err
}

// assemble makes the inventory of the folders scanned and the external
// tables manifests: each table once, the fan-out of each DML, each table's
// parents. The folders' tables are copied, not changed: a cache may hold
// them for later builds.
func assemble(fsys fs.FS, folders []*folder, manifests []string, opts Options) (*Inventory, []Warning, error) {
	inv := &Inventory{Root: opts.Root, Tables: make(map[string]*Table, len(folders))}
	var errs []error
	var warnings []Warning
	tables := make([]Table, len(folders))
	for i, f := range folders {
		warnings = append(warnings, f.warnings...)
		if f.err != nil {
			errs = append(errs, f.err)
			continue
		}
		if prev, ok := inv.Tables[f.table.Name]; ok {
			errs = append(errs, &FileError{Path: f.table.Folder, Table: f.table.Name,
				Err: fmt.Errorf("%w: also defined in %s", ErrDuplicateTable, prev.Folder)})
			continue
		}
		tables[i] = *f.table
		inv.Tables[f.table.Name] = &tables[i]
	}
	for _, m := range manifests {
		externals, err := readExternalTables(fsys, m, opts.Root)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, t := range externals {
			if _, ok := inv.Tables[t.Name]; ok {
				warnings = append(warnings, Warning{File: path.Join(opts.Root, m), Table: t.Name,
					Message: "external table skipped: a folder of the tree defines it"})
				continue
			}
			inv.Tables[t.Name] = t
		}
	}
	errs = append(errs, linkWrites(inv, folders, tables)...)
	if len(errs) > 0 {
		return nil, warnings, errors.Join(errs...)
	}
	warnings = append(warnings, resolveParents(inv, folders, tables, opts)...)
	return inv, warnings, nil
}

// linkWrites records the fan-out of each DML that writes other tables than
// its own: each must be a table a folder defines, that no other DML writes.
// tables[i] is the inventory's copy of folders[i]'s table.
func linkWrites(inv *Inventory, folders []*folder, tables []Table) []error {
	var errs []error
	for i, f := range folders {
		t := &tables[i]
		if len(f.writes) == 0 || inv.Tables[t.Name] != t {
			continue
		}
		fail := func(format string, args ...any) {
			errs = append(errs, &FileError{Path: t.DMLRef, Table: t.Name, Err: fmt.Errorf(format, args...)})
		}
		for _, n := range f.writes {
			name := lookup(inv, n)
			switch w := inv.Tables[name]; {
			case w == nil || w.External():
				fail("%w: INSERT INTO %s (a table it writes needs a folder with its DDL)", ErrUnknownSink, n)
			case w.DMLRef != "":
				fail("%w: %s is written here and by %s", ErrTwoWriters, name, w.DMLRef)
			case w.WrittenBy != "":
				fail("%w: %s is written here and by %s", ErrTwoWriters, name, inv.Tables[w.WrittenBy].DMLRef)
			default:
				w.WrittenBy = t.Name
				t.AlsoWrites = append(t.AlsoWrites, name)
			}
		}
		sort.Strings(t.AlsoWrites)
	}
	return errs
}

// lookup is the inventory table a name from the SQL names: the table of its
// last part (catalog.database.table), or the whole name for a backticked
// `db.table` written as db.table; the last part when neither is there.
func lookup(inv *Inventory, n flinksql.Name) string {
	name := n.Table()
	if _, ok := inv.Tables[name]; !ok && len(n) > 1 {
		if joined := strings.Join(n, "."); inv.Tables[joined] != nil {
			name = joined
		}
	}
	return name
}

// scanned is what the scan of a tree found: its sql-scripts folders and
// external tables manifests, each sorted by path.
type scanned struct {
	folders   []*folder
	manifests []string
	// transient is set when a folder's result may not be that of its
	// content alone (a read error, a panic): nothing of it is cached.
	transient bool
}

// scan is one walk of a tree. The walk, one folder listed after another,
// overlaps the parsing instead of preceding it: it hands each sql-scripts
// folder to the workers as it finds it.
type scan struct {
	fsys  fs.FS
	opts  Options
	cache *Cache // nil unless the tree is addressed by content
	next  chan found

	mu sync.Mutex
	scanned
	// missed are the table folders this scan read: their results are
	// cached once every folder is scanned.
	missed []folderKey
}

// found is a sql-scripts folder to scan.
type found struct {
	dir    string
	hasDef bool
}

// scanTree walks fsys and scans each sql-scripts folder it finds.
func scanTree(fsys fs.FS, opts Options) (*scanned, error) {
	s := &scan{fsys: fsys, opts: opts, next: make(chan found, opts.Workers)}
	if _, ok := fsys.(Hashed); ok {
		s.cache = opts.Cache
	}
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Go(func() {
			for fd := range s.next {
				f := scanFolder(fsys, fd.dir, opts, s.cache)
				if f.table != nil {
					f.table.DefinitionExists = fd.hasDef
				}
				s.add(f)
			}
		})
	}
	err := s.walk()
	close(s.next)
	wg.Wait()
	slices.SortFunc(s.folders, func(a, b *folder) int { return strings.Compare(a.dir, b.dir) })
	sort.Strings(s.manifests)
	if err == nil && s.cache != nil && !s.transient {
		s.keep()
	}
	return &s.scanned, err
}

func (s *scan) add(folders ...*folder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range folders {
		s.folders = append(s.folders, f)
		s.transient = s.transient || f.transient
	}
}

// walk lists the tree from its root, as fs.WalkDir would, skipping hidden
// folders such as .git.
func (s *scan) walk() error {
	if _, err := fs.Stat(s.fsys, "."); err != nil {
		return err
	}
	entries, err := fs.ReadDir(s.fsys, ".")
	if err != nil {
		return err
	}
	var h [20]byte
	if s.cache != nil {
		h = s.fsys.(Hashed).ContentHash()
	}
	return s.folder(".", h, s.cache != nil, entries)
}

// folder goes through the entries of folder p, whose hash is known (or
// not): a sql-scripts folder goes to the workers, a manifest is kept,
// another folder is walked, unless the cache knows it.
func (s *scan) folder(p string, hash [20]byte, known bool, entries []fs.DirEntry) error {
	hasDef := false
	for _, e := range entries {
		if !e.IsDir() && e.Name() == DefinitionFile {
			hasDef = true
		}
	}
	for _, e := range entries {
		name := e.Name()
		child := name
		if p != "." {
			child = p + "/" + name
		}
		if !e.IsDir() {
			if name == ExternalTablesFile && path.Base(p) == "seeds" {
				s.manifests = append(s.manifests, child)
			}
			continue
		}
		switch {
		case strings.HasPrefix(name, "."):
			continue
		case name == ScriptsDir:
			if known && p != "." {
				s.missed = append(s.missed, s.folderKey(p, hash))
			}
			s.next <- found{dir: child, hasDef: hasDef}
			continue
		}
		var h [20]byte
		he, hashed := e.(Hashed)
		hashed = hashed && s.cache != nil
		if hashed {
			h = he.ContentHash()
			if hit, ok := s.cache.folder(s.folderKey(child, h)); ok {
				s.add(hit.folders...)
				s.manifests = append(s.manifests, hit.manifests...)
				continue
			}
		}
		sub, err := fs.ReadDir(s.fsys, child)
		if err != nil {
			return &FileError{Path: child, Err: err}
		}
		if err := s.folder(child, h, hashed, sub); err != nil {
			return err
		}
	}
	return nil
}

// folderKey is table folder p's key: its path after the pipelines folder
// name, which every path of its tables starts with, and its hash.
func (s *scan) folderKey(p string, h [20]byte) folderKey {
	return folderKey{path: s.opts.Root + "/" + p, hash: h}
}

// keep caches what each table folder read by this scan held, under its
// path and hash; caller has sorted folders and manifests.
func (s *scan) keep() {
	for _, k := range s.missed {
		prefix := strings.TrimPrefix(k.path, s.opts.Root+"/") + "/"
		lo, _ := slices.BinarySearchFunc(s.folders, prefix, func(f *folder, p string) int { return strings.Compare(f.dir, p) })
		hi := lo
		for hi < len(s.folders) && strings.HasPrefix(s.folders[hi].dir, prefix) {
			hi++
		}
		var manifests []string
		for _, m := range s.manifests {
			if strings.HasPrefix(m, prefix) {
				manifests = append(manifests, m)
			}
		}
		s.cache.putFolder(k, &tableFolder{folders: slices.Clone(s.folders[lo:hi]), manifests: manifests})
	}
}

// folder is what one sql-scripts folder yields. A cache may hold it for
// later builds: once made, it is never changed.
type folder struct {
	dir   string // the sql-scripts folder, relative to the tree
	table *Table
	reads []flinksql.Name
	// writes are the tables the DML writes besides the folder's own.
	writes   []flinksql.Name
	err      error
	warnings []Warning
	// transient: a read failed or a panic stopped the scan, so this is not
	// what the content alone gives.
	transient bool
}

// sqlFile is one SQL file of a table folder, as read.
type sqlFile struct {
	ref   string // pipeline-relative path
	facts *sqlFacts
	props map[string]string
}

// sqlFacts is what the inventory needs of one SQL file: a pure function of
// its content, so cached by the content's hash. Names and strings are
// copies, not substrings of the SQL, so that the text can be freed.
type sqlFacts struct {
	Fingerprint string
	// Created is the table the file's CREATE statement makes, if any.
	Created     flinksql.Name
	CreatedKind flinksql.Kind
	HasCreate   bool
	Writes      []flinksql.Name
	Reads       []flinksql.Name
	Stateful    []string
	Joins       flinksql.JoinCounts
	Changelog   string
	// PrimaryKey: its CREATE TABLE declares a primary key.
	PrimaryKey bool
	// err is why the content is not usable SQL (invalid UTF-8, too large,
	// a syntax error), naming no file; nil when it parsed. Never stored.
	err error
}

func factsOf(s *flinksql.Script) *sqlFacts {
	created, has := s.Created()
	f := &sqlFacts{
		Fingerprint: s.Fingerprint, HasCreate: has, CreatedKind: created.Kind, Created: cloneName(created.Table),
		Writes: cloneNames(s.Writes()), Reads: cloneNames(s.Reads()), Joins: s.Joins, Changelog: strings.Clone(s.ChangelogMode()),
		PrimaryKey: created.PrimaryKey,
	}
	for _, r := range s.Stateful() {
		f.Stateful = append(f.Stateful, strings.Clone(r))
	}
	return f
}

func scanFolder(fsys fs.FS, dir string, opts Options, cache *Cache) (f *folder) {
	root := opts.Root
	f = &folder{dir: dir}
	// reading is the file in hand ("" for none), for a panic: a bug must
	// fail the build with the file's name, not take the process down.
	reading := ""
	defer recovered(root, &reading, f)
	tableDir := path.Dir(dir)
	t := &Table{Folder: path.Join(root, tableDir)}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		f.err, f.transient = &FileError{Path: path.Join(root, dir), Err: err}, true
		return f
	}
	var ddlEntry, dmlEntry fs.DirEntry
	// The .properties files present: reading only those spares two failed
	// opens per table, which count on trees of 10,000 tables.
	props := map[string]fs.DirEntry{}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && strings.HasSuffix(name, ".properties") {
			props[name] = e
		}
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		var slot *fs.DirEntry
		switch {
		case strings.HasPrefix(name, "ddl.") && !strings.Contains(name, "dlq"):
			slot = &ddlEntry
		case strings.HasPrefix(name, "dml."):
			slot = &dmlEntry
		default:
			continue
		}
		if *slot != nil {
			f.err = &FileError{Path: path.Join(root, dir),
				Err: fmt.Errorf("%w: %s and %s; keep one", ErrTwoFiles, (*slot).Name(), name)}
			return f
		}
		*slot = e
	}
	if ddlEntry == nil {
		f.err = &FileError{Path: path.Join(root, dir), Err: ErrNoDDL}
		return f
	}
	rd := reader{fsys: fsys, dir: dir, root: root, cache: cache, props: props, before: func(name string) {
		reading = name
		if opts.BeforeRead != nil {
			opts.BeforeRead(path.Join(root, dir, name))
		}
	}}
	ddl, ddlErr := rd.read(ddlEntry)
	var dml *sqlFile
	var dmlErr error
	if dmlEntry != nil {
		dml, dmlErr = rd.read(dmlEntry)
	}
	reading = ""
	f.transient = rd.failed
	if ddlErr != nil || dmlErr != nil {
		f.err = brokenFiles(ddl, dml, ddlErr, dmlErr)
		return f
	}
	t.DDLRef, t.DDLProperties, t.DDLFingerprint = ddl.ref, ddl.props, ddl.facts.Fingerprint

	df := ddl.facts
	switch {
	case dml != nil:
		writes := dml.facts.Writes
		if len(writes) == 0 {
			f.err = &FileError{Path: dml.ref, Err: ErrNoInsert}
			if df.HasCreate {
				f.err.(*FileError).Table = df.Created.Table()
			}
			return f
		}
		t.Name = writes[0].Table()
		if df.HasCreate && df.CreatedKind == flinksql.KindCreateTable {
			if !namesTable(writes, df.Created.Table()) {
				f.err = &FileError{Path: ddl.ref, Table: t.Name, Err: fmt.Errorf("%w: %s creates %s but %s writes %s",
					ErrTableMismatch, path.Base(ddl.ref), df.Created, path.Base(dml.ref), writes[0])}
				return f
			}
			// A DML that writes several tables belongs to the folder of
			// the one its DDL creates.
			t.Name = df.Created.Table()
		}
		for _, w := range writes {
			if w.Table() != t.Name {
				f.writes = append(f.writes, w)
			}
		}
	case df.HasCreate && df.CreatedKind == flinksql.KindCreateTable:
		t.Name = df.Created.Table()
	case df.HasCreate:
		// shift_left does not recognise CREATE MATERIALIZED TABLE either; keep
		// its name for the folder so both tools write the same inventory.
		t.Name = NoTable
		f.warnings = append(f.warnings, Warning{File: ddl.ref, Table: df.Created.Table(),
			Message: "CREATE MATERIALIZED TABLE is not supported by Confluent Cloud for Flink; the folder is listed as " + NoTable})
	default:
		f.err = &FileError{Path: ddl.ref, Err: ErrNoCreate}
		return f
	}
	if df.HasCreate && df.CreatedKind == flinksql.KindCreateMaterializedTable && dml != nil {
		f.warnings = append(f.warnings, Warning{File: ddl.ref, Table: t.Name,
			Message: "CREATE MATERIALIZED TABLE is not supported by Confluent Cloud for Flink"})
	}

	// The facts may be cached: what is made of them is new slices, never
	// appended to theirs.
	f.reads = slices.Clip(df.Reads)
	t.StatefulReasons = slices.Clone(df.Stateful)
	t.Joins = df.Joins
	t.PrimaryKey = df.PrimaryKey
	if dml != nil {
		t.DMLRef, t.DMLProperties, t.DMLFingerprint = dml.ref, dml.props, dml.facts.Fingerprint
		f.reads = slices.Concat(df.Reads, dml.facts.Reads)
		t.StatefulReasons = slices.Concat(dml.facts.Stateful, df.Stateful)
		t.Joins = dml.facts.Joins
	}
	if mode := df.Changelog; mode == "upsert" || mode == "retract" {
		t.StatefulReasons = append(t.StatefulReasons, fmt.Sprintf("changelog.mode '%s' in the DDL", mode))
	}
	t.Product = productName(t.Folder)
	t.Type = tableType(t.Folder)
	t.Fingerprint = tableFingerprint(t)
	f.table = t
	return f
}

// recovered, deferred, turns a panic while the folder is scanned into the
// folder's error, naming the file being read, else the folder.
func recovered(root string, reading *string, f *folder) {
	if r := recover(); r != nil {
		*f = folder{dir: f.dir, transient: true, err: &FileError{Path: path.Join(root, f.dir, *reading), Err: fmt.Errorf("%w: %v", ErrPanic, r)}}
	}
}

// brokenFiles is the error of a folder whose DDL or DML (or both) cannot be
// read, each naming the folder's table as best known: the one the DDL
// creates, else the one the broken SQL names before its error, else the one
// the DML writes.
func brokenFiles(ddl, dml *sqlFile, errs ...error) error {
	table, written := "", ""
	if ddl != nil && ddl.facts.HasCreate {
		table = ddl.facts.Created.Table()
	}
	if dml != nil {
		if writes := dml.facts.Writes; len(writes) > 0 {
			written = writes[0].Table()
		}
	}
	var out []error
	for _, err := range errs {
		var fe *FileError
		if !errors.As(err, &fe) {
			continue
		}
		var se *flinksql.SyntaxError
		switch {
		case fe.Table != "":
		case table != "":
			fe.Table = table
		case errors.As(err, &se) && se.Table != nil:
			fe.Table = se.Table.Table()
		default:
			fe.Table = written
		}
		out = append(out, fe)
	}
	return errors.Join(out...)
}

func cloneName(n flinksql.Name) flinksql.Name {
	if n == nil {
		return nil
	}
	out := make(flinksql.Name, len(n))
	for i, part := range n {
		out[i] = strings.Clone(part)
	}
	return out
}

func cloneNames(ns []flinksql.Name) []flinksql.Name {
	if ns == nil {
		return nil
	}
	out := make([]flinksql.Name, len(ns))
	for i, n := range ns {
		out[i] = cloneName(n)
	}
	return out
}

func namesTable(names []flinksql.Name, table string) bool {
	for _, n := range names {
		if n.Table() == table {
			return true
		}
	}
	return false
}

// reader reads the SQL files of one sql-scripts folder, and the
// .properties file beside each when the folder lists it, through the cache
// when there is one: a file whose content was parsed before is not read.
type reader struct {
	fsys   fs.FS
	dir    string // the sql-scripts folder
	root   string
	cache  *Cache
	props  map[string]fs.DirEntry
	before func(name string) // called before a file is read
	failed bool              // a read failed: the result is not the content's alone
}

func (r *reader) read(e fs.DirEntry) (*sqlFile, error) {
	name := e.Name()
	file := path.Join(r.dir, name)
	ref := path.Join(r.root, file)
	facts, ok := r.cache.sql(e)
	if !ok {
		r.before(name)
		data, err := fs.ReadFile(r.fsys, file)
		if err != nil {
			r.failed = true
			return nil, &FileError{Path: ref, Err: err}
		}
		facts = parseSQL(data)
		r.cache.putSQL(e, facts)
	}
	if facts.err != nil {
		return nil, &FileError{Path: ref, Err: facts.err}
	}
	props := map[string]string{}
	if pe, ok := r.props[strings.TrimSuffix(name, ".sql")+".properties"]; ok {
		if props, ok = r.cache.props(pe); !ok {
			propsFile := path.Join(r.dir, pe.Name())
			content, err := fs.ReadFile(r.fsys, propsFile)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				r.failed = true
				return nil, &FileError{Path: path.Join(r.root, propsFile), Err: err}
			}
			props = parseProperties(string(content))
			if err == nil {
				r.cache.putProps(pe, props)
			}
		}
	}
	return &sqlFile{ref: ref, facts: facts, props: props}, nil
}

// parseSQL is the facts of one SQL file's content.
func parseSQL(data []byte) *sqlFacts {
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalidUTF8(data)], []byte("\n"))
		return &sqlFacts{err: fmt.Errorf("%w (line %d)", ErrNotUTF8, line)}
	}
	if len(data) > flinksql.MaxStatementBytes {
		// Confluent Cloud is sent the whole file as one statement.
		return &sqlFacts{err: fmt.Errorf("%w: %d bytes, and Confluent Cloud takes at most %d (4 MB) in a statement",
			ErrTooLarge, len(data), flinksql.MaxStatementBytes)}
	}
	script, err := flinksql.Parse(string(data))
	if err != nil {
		return &sqlFacts{err: fmt.Errorf("%w: %w", ErrBadSQL, err)}
	}
	if len(script.Statements) == 0 {
		return &sqlFacts{err: ErrEmptySQL}
	}
	return factsOf(script)
}

func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// tableFingerprint hashes the table's SQL and properties into 32 hex
// characters (128 bits: no chance collision), short enough to be a statement
// label value as is.
func tableFingerprint(t *Table) string {
	h := sha256.New()
	for _, part := range []string{t.DDLFingerprint, t.DMLFingerprint,
		canonicalProperties(t.DDLProperties), canonicalProperties(t.DMLProperties)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// resolveParents turns each folder's read names into inventory table names.
// A qualified name (catalog.database.table) is the table of its last part. A
// name that is nowhere in the tree becomes a synthesized external_kafka
// table, unless opts.DropUnknownRefs. tables[i] is the inventory's copy of
// folders[i]'s table.
func resolveParents(inv *Inventory, folders []*folder, tables []Table, opts Options) []Warning {
	var warnings []Warning
	for i, f := range folders {
		t := &tables[i]
		// A table reads a few others: slices beat a set per table.
		var dropped []string
		// shift_left lists the other tables a DML writes among its parents
		// too (its pattern matches INSERT INTO): their DDL comes first.
		for _, names := range [2][]flinksql.Name{f.reads, f.writes} {
			for _, n := range names {
				name := lookup(inv, n)
				if name == t.Name || slices.Contains(t.Parents, name) || slices.Contains(dropped, name) {
					continue
				}
				if _, ok := inv.Tables[name]; !ok {
					if opts.DropUnknownRefs {
						warnings = append(warnings, Warning{File: t.DMLRef, Table: t.Name,
							Message: "reference to " + name + " dropped: no folder defines it"})
						dropped = append(dropped, name)
						continue
					}
					inv.Tables[name] = synthesizedExternal(name, inv.Root)
				}
				t.Parents = append(t.Parents, name)
			}
		}
		sort.Strings(t.Parents)
	}
	return warnings
}

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
func Build(fsys fs.FS, opts Options) (*Inventory, []Warning, error) {
	if opts.Root == "" {
		opts.Root = DefaultRoot
	}
	if opts.Workers <= 0 {
		opts.Workers = 4 * runtime.GOMAXPROCS(0)
	}
	folders, manifests, err := scanTree(fsys, opts)
	if err != nil {
		return nil, nil, err
	}

	inv := &Inventory{Root: opts.Root, Tables: make(map[string]*Table, len(folders))}
	var errs []error
	var warnings []Warning
	for _, f := range folders {
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
		inv.Tables[f.table.Name] = f.table
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
	errs = append(errs, linkWrites(inv, folders)...)
	if len(errs) > 0 {
		return nil, warnings, errors.Join(errs...)
	}
	warnings = append(warnings, resolveParents(inv, folders, opts)...)
	return inv, warnings, nil
}

// linkWrites records the fan-out of each DML that writes other tables than
// its own: each must be a table a folder defines, that no other DML writes.
func linkWrites(inv *Inventory, folders []folder) []error {
	var errs []error
	for _, f := range folders {
		t := f.table
		if t == nil || len(f.writes) == 0 || inv.Tables[t.Name] != t {
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

// scanTree walks fsys and scans each sql-scripts folder as the walk finds
// it: the walk, one folder read after another, overlaps the parsing instead
// of preceding it. Folders come back sorted by path, manifests too.
func scanTree(fsys fs.FS, opts Options) ([]folder, []string, error) {
	type found struct {
		dir    string
		hasDef bool
	}
	var (
		folders []folder
		mu      sync.Mutex
		wg      sync.WaitGroup
		next    = make(chan found, opts.Workers)
	)
	for range opts.Workers {
		wg.Go(func() {
			for fd := range next {
				f := scanFolder(fsys, fd.dir, opts)
				if f.table != nil {
					f.table.DefinitionExists = fd.hasDef
				}
				mu.Lock()
				folders = append(folders, f)
				mu.Unlock()
			}
		})
	}
	manifests, err := walk(fsys, func(dir string, hasDef bool) { next <- found{dir, hasDef} })
	close(next)
	wg.Wait()
	slices.SortFunc(folders, func(a, b folder) int { return strings.Compare(a.dir, b.dir) })
	return folders, manifests, err
}

// walk calls found with each sql-scripts folder, and whether a definition
// file lies beside it, and returns the external tables manifests, sorted,
// skipping hidden folders such as .git.
func walk(fsys fs.FS, found func(dir string, hasDef bool)) (manifests []string, err error) {
	// Folders holding a definition file: the walk visits a folder's entries
	// in name order, pipeline_definition.json before sql-scripts.
	defs := map[string]bool{}
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			return &FileError{Path: p, Err: err}
		}
		if d.IsDir() {
			name := d.Name()
			switch {
			case p != "." && strings.HasPrefix(name, "."):
				return fs.SkipDir
			case name == ScriptsDir:
				table := path.Dir(p)
				found(p, defs[table])
				delete(defs, table)
				return fs.SkipDir
			}
			return nil
		}
		if d.Name() == DefinitionFile {
			defs[path.Dir(p)] = true
		}
		if d.Name() == ExternalTablesFile && path.Base(path.Dir(p)) == "seeds" {
			manifests = append(manifests, p)
		}
		return nil
	})
	sort.Strings(manifests)
	return manifests, err
}

// folder is what one sql-scripts folder yields.
type folder struct {
	dir   string // the sql-scripts folder, relative to the tree
	table *Table
	reads []flinksql.Name
	// writes are the tables the DML writes besides the folder's own.
	writes   []flinksql.Name
	err      error
	warnings []Warning
}

// sqlFile is one parsed SQL file of a table folder.
type sqlFile struct {
	ref    string // pipeline-relative path
	script *flinksql.Script
	props  map[string]string
}

func scanFolder(fsys fs.FS, dir string, opts Options) (f folder) {
	root := opts.Root
	f.dir = dir
	// reading is the file in hand ("" for none), for a panic: a bug must
	// fail the build with the file's name, not take the process down.
	reading := ""
	defer recovered(root, &reading, &f)
	tableDir := path.Dir(dir)
	t := &Table{Folder: path.Join(root, tableDir)}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		f.err = &FileError{Path: path.Join(root, dir), Err: err}
		return f
	}
	var ddlName, dmlName string
	// The .properties files present: reading only those spares two failed
	// opens per table, which count on trees of 10,000 tables.
	props := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && strings.HasSuffix(name, ".properties") {
			props[name] = true
		}
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		var slot *string
		switch {
		case strings.HasPrefix(name, "ddl.") && !strings.Contains(name, "dlq"):
			slot = &ddlName
		case strings.HasPrefix(name, "dml."):
			slot = &dmlName
		default:
			continue
		}
		if *slot != "" {
			f.err = &FileError{Path: path.Join(root, dir),
				Err: fmt.Errorf("%w: %s and %s; keep one", ErrTwoFiles, *slot, name)}
			return f
		}
		*slot = name
	}
	if ddlName == "" {
		f.err = &FileError{Path: path.Join(root, dir), Err: ErrNoDDL}
		return f
	}
	read := func(name string) (*sqlFile, error) {
		reading = name
		if opts.BeforeRead != nil {
			opts.BeforeRead(path.Join(root, dir, name))
		}
		return readSQL(fsys, path.Join(dir, name), root, props)
	}
	ddl, ddlErr := read(ddlName)
	var dml *sqlFile
	var dmlErr error
	if dmlName != "" {
		dml, dmlErr = read(dmlName)
	}
	reading = ""
	if ddlErr != nil || dmlErr != nil {
		f.err = brokenFiles(ddl, dml, ddlErr, dmlErr)
		return f
	}
	t.DDLRef, t.DDLProperties, t.DDLFingerprint = ddl.ref, ddl.props, ddl.script.Fingerprint

	created, hasCreate := ddl.script.Created()
	switch {
	case dml != nil:
		writes := dml.script.Writes()
		if len(writes) == 0 {
			f.err = &FileError{Path: dml.ref, Err: ErrNoInsert}
			if hasCreate {
				f.err.(*FileError).Table = created.Table.Table()
			}
			return f
		}
		t.Name = writes[0].Table()
		if hasCreate && created.Kind == flinksql.KindCreateTable {
			if !namesTable(writes, created.Table.Table()) {
				f.err = &FileError{Path: ddl.ref, Table: t.Name, Err: fmt.Errorf("%w: %s creates %s but %s writes %s",
					ErrTableMismatch, path.Base(ddl.ref), created.Table, path.Base(dml.ref), writes[0])}
				return f
			}
			// A DML that writes several tables belongs to the folder of
			// the one its DDL creates.
			t.Name = created.Table.Table()
		}
		for _, w := range writes {
			if w.Table() != t.Name {
				f.writes = append(f.writes, cloneName(w))
			}
		}
	case hasCreate && created.Kind == flinksql.KindCreateTable:
		t.Name = created.Table.Table()
	case hasCreate:
		// shift_left does not recognise CREATE MATERIALIZED TABLE either; keep
		// its name for the folder so both tools write the same inventory.
		t.Name = NoTable
		f.warnings = append(f.warnings, Warning{File: ddl.ref, Table: created.Table.Table(),
			Message: "CREATE MATERIALIZED TABLE is not supported by Confluent Cloud for Flink; the folder is listed as " + NoTable})
	default:
		f.err = &FileError{Path: ddl.ref, Err: ErrNoCreate}
		return f
	}
	if hasCreate && created.Kind == flinksql.KindCreateMaterializedTable && dml != nil {
		f.warnings = append(f.warnings, Warning{File: ddl.ref, Table: t.Name,
			Message: "CREATE MATERIALIZED TABLE is not supported by Confluent Cloud for Flink"})
	}

	f.reads = ddl.script.Reads()
	t.StatefulReasons = ddl.script.Stateful()
	t.Joins = ddl.script.Joins
	if dml != nil {
		t.DMLRef, t.DMLProperties, t.DMLFingerprint = dml.ref, dml.props, dml.script.Fingerprint
		f.reads = append(f.reads, dml.script.Reads()...)
		t.StatefulReasons = append(dml.script.Stateful(), t.StatefulReasons...)
		t.Joins = dml.script.Joins
	}
	if mode := ddl.script.ChangelogMode(); mode == "upsert" || mode == "retract" {
		t.StatefulReasons = append(t.StatefulReasons, fmt.Sprintf("changelog.mode '%s' in the DDL", mode))
	}
	// Names are substrings of the SQL; copying them lets each file's text be
	// freed (on 100,000 tables the sources would otherwise stay in memory).
	t.Name = strings.Clone(t.Name)
	for i, n := range f.reads {
		f.reads[i] = cloneName(n)
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
		*f = folder{dir: f.dir, err: &FileError{Path: path.Join(root, f.dir, *reading), Err: fmt.Errorf("%w: %v", ErrPanic, r)}}
	}
}

// brokenFiles is the error of a folder whose DDL or DML (or both) cannot be
// read, each naming the folder's table as best known: the one the DDL
// creates, else the one the broken SQL names before its error, else the one
// the DML writes.
func brokenFiles(ddl, dml *sqlFile, errs ...error) error {
	table, written := "", ""
	if ddl != nil {
		if created, ok := ddl.script.Created(); ok {
			table = created.Table.Table()
		}
	}
	if dml != nil {
		if writes := dml.script.Writes(); len(writes) > 0 {
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
	out := make(flinksql.Name, len(n))
	for i, part := range n {
		out[i] = strings.Clone(part)
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

// readSQL reads and parses one SQL file and the .properties file beside it
// when its folder lists it (present).
func readSQL(fsys fs.FS, file, root string, present map[string]bool) (*sqlFile, error) {
	ref := path.Join(root, file)
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, &FileError{Path: ref, Err: err}
	}
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalidUTF8(data)], []byte("\n"))
		return nil, &FileError{Path: ref, Err: fmt.Errorf("%w (line %d)", ErrNotUTF8, line)}
	}
	if len(data) > flinksql.MaxStatementBytes {
		// Confluent Cloud is sent the whole file as one statement.
		return nil, &FileError{Path: ref, Err: fmt.Errorf("%w: %d bytes, and Confluent Cloud takes at most %d (4 MB) in a statement",
			ErrTooLarge, len(data), flinksql.MaxStatementBytes)}
	}
	script, err := flinksql.Parse(string(data))
	if err != nil {
		return nil, &FileError{Path: ref, Err: fmt.Errorf("%w: %w", ErrBadSQL, err)}
	}
	if len(script.Statements) == 0 {
		return nil, &FileError{Path: ref, Err: ErrEmptySQL}
	}
	props := map[string]string{}
	propsFile := strings.TrimSuffix(file, ".sql") + ".properties"
	if present[path.Base(propsFile)] {
		content, err := fs.ReadFile(fsys, propsFile)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, &FileError{Path: path.Join(root, propsFile), Err: err}
		}
		props = parseProperties(string(content))
	}
	return &sqlFile{ref: ref, script: script, props: props}, nil
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
// table, unless opts.DropUnknownRefs.
func resolveParents(inv *Inventory, folders []folder, opts Options) []Warning {
	var warnings []Warning
	for _, f := range folders {
		t := f.table
		seen := map[string]bool{t.Name: true}
		// shift_left lists the other tables a DML writes among its parents
		// too (its pattern matches INSERT INTO): their DDL comes first.
		for _, n := range append(f.reads, f.writes...) {
			name := lookup(inv, n)
			if seen[name] {
				continue
			}
			seen[name] = true
			if _, ok := inv.Tables[name]; !ok {
				if opts.DropUnknownRefs {
					warnings = append(warnings, Warning{File: t.DMLRef, Table: t.Name,
						Message: "reference to " + name + " dropped: no folder defines it"})
					continue
				}
				inv.Tables[name] = synthesizedExternal(name, inv.Root)
			}
			t.Parents = append(t.Parents, name)
		}
		sort.Strings(t.Parents)
	}
	return warnings
}

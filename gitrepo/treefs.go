package gitrepo

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// Tree returns the files of commit sha, or of its folder subdir ("" or "."
// for all of them), as an FS read from git objects, without a checkout. It
// implements [fs.ReadDirFS], [fs.ReadFileFS] and [fs.StatFS] and may be read
// from any number of goroutines. It is addressed by content, as
// package inventory's Hashed says: the FS and each entry ReadDir returns have a
// ContentHash method giving the git tree or blob hash, which git computed
// when the commit was made, so reading one costs nothing. Files have the commit's time as ModTime;
// symbolic links are listed by ReadDir but not followed ([ErrSymlink]); a
// submodule is an empty folder, as in a checkout without submodules.
//
// A subdir missing at that commit (a repository without a pipelines folder
// yet) is an error matching [fs.ErrNotExist]; an unknown commit is a
// [*CommitNotFoundError].
func (r *Repo) Tree(sha, subdir string) (fs.FS, error) {
	h, err := parseSHA(sha)
	if err != nil {
		return nil, err
	}
	if subdir == "" {
		subdir = "."
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.commit(h)
	if err != nil {
		return nil, err
	}
	fsys := &treeFS{repo: r, root: entry{name: ".", mode: filemode.Dir, hash: c.TreeHash}, modTime: c.Committer.When}
	e, err := fsys.lookup("open", subdir)
	if err == nil && !e.isDir() {
		err = &fs.PathError{Op: "open", Path: subdir, Err: errNotDir}
	}
	if err != nil {
		return nil, fmt.Errorf("tree of %s in %s: %w", sha, r.url, err)
	}
	e.name = "."
	fsys.root = e
	return fsys, nil
}

// entry is a tree entry, as the FS needs it.
type entry struct {
	name string
	mode filemode.FileMode
	hash plumbing.Hash
}

func (e entry) isDir() bool { return e.mode == filemode.Dir || e.mode == filemode.Submodule }

// treeFS is a folder of a commit. Every method takes repo.mu around its use
// of git and of the folder cache.
type treeFS struct {
	repo    *Repo
	root    entry
	modTime time.Time
}

// lookup finds name, a path valid for fs.FS; caller holds repo.mu.
func (f *treeFS) lookup(op, name string) (entry, error) {
	if !fs.ValidPath(name) {
		return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	e := f.root
	if name == "." {
		return e, nil
	}
	for part := range strings.SplitSeq(name, "/") {
		if !e.isDir() {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: errNotDir}
		}
		entries, err := f.repo.entries(e)
		if err != nil {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: err}
		}
		i, ok := slices.BinarySearchFunc(entries, part, func(e entry, name string) int { return strings.Compare(e.name, name) })
		if !ok {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		e = entries[i]
		if e.mode == filemode.Symlink {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: ErrSymlink}
		}
	}
	return e, nil
}

// ContentHash is the hash of the tree's root folder.
func (f *treeFS) ContentHash() [20]byte { return f.root.hash }

func (f *treeFS) Open(name string) (fs.File, error) {
	f.repo.mu.Lock()
	defer f.repo.mu.Unlock()
	e, err := f.lookup("open", name)
	if err != nil {
		return nil, err
	}
	if e.isDir() {
		entries, err := f.dirEntries("open", name, e)
		if err != nil {
			return nil, err
		}
		return &dir{path: name, info: f.info(e, 0), entries: entries}, nil
	}
	data, err := f.repo.blob(e.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &file{Reader: bytes.NewReader(data), info: f.info(e, int64(len(data)))}, nil
}

func (f *treeFS) ReadFile(name string) ([]byte, error) {
	f.repo.mu.Lock()
	defer f.repo.mu.Unlock()
	e, err := f.lookup("read", name)
	if err != nil {
		return nil, err
	}
	if e.isDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errIsDir}
	}
	data, err := f.repo.blob(e.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

func (f *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	f.repo.mu.Lock()
	defer f.repo.mu.Unlock()
	e, err := f.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if !e.isDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
	}
	return f.dirEntries("readdir", name, e)
}

func (f *treeFS) Stat(name string) (fs.FileInfo, error) {
	f.repo.mu.Lock()
	defer f.repo.mu.Unlock()
	e, err := f.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	return f.stat("stat", name, e)
}

// stat is e's info, reading a file's size; caller holds repo.mu.
func (f *treeFS) stat(op, name string, e entry) (fs.FileInfo, error) {
	if e.isDir() {
		return f.info(e, 0), nil
	}
	size, err := f.repo.blobSize(e.hash)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return f.info(e, size), nil
}

func (f *treeFS) info(e entry, size int64) fileInfo {
	// A mode git fsck rejects reads as a regular file without permissions.
	mode, _ := e.mode.ToOSFileMode()
	return fileInfo{name: e.name, size: size, mode: mode, modTime: f.modTime}
}

// dirEntries lists folder e, at path name; caller holds repo.mu.
func (f *treeFS) dirEntries(op, name string, e entry) ([]fs.DirEntry, error) {
	entries, err := f.repo.entries(e)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	out := make([]fs.DirEntry, len(entries))
	for i, e := range entries {
		out[i] = dirEntry{fs: f, path: pathJoin(name, e.name), e: e}
	}
	return out, nil
}

// pathJoin is path.Join for the valid paths of an fs.FS, without its
// cleaning work.
func pathJoin(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}

type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return i.size }
func (i fileInfo) Mode() fs.FileMode  { return i.mode }
func (i fileInfo) ModTime() time.Time { return i.modTime }
func (i fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i fileInfo) Sys() any           { return nil }

// dirEntry reads a file's size only when Info asks for it: fs.WalkDir and
// the inventory never do.
type dirEntry struct {
	fs   *treeFS
	path string
	e    entry
}

func (d dirEntry) Name() string               { return d.e.name }
func (d dirEntry) IsDir() bool                { return d.e.isDir() }
func (d dirEntry) Type() fs.FileMode          { return d.fs.info(d.e, 0).mode.Type() }
func (d dirEntry) String() string             { return fs.FormatDirEntry(d) }
func (d dirEntry) Info() (fs.FileInfo, error) { return d.fs.lockedStat(d.path, d.e) }

// ContentHash is the entry's git object hash: a blob's for a file, a
// tree's for a folder.
func (d dirEntry) ContentHash() [20]byte { return d.e.hash }

func (f *treeFS) lockedStat(name string, e entry) (fs.FileInfo, error) {
	f.repo.mu.Lock()
	defer f.repo.mu.Unlock()
	return f.stat("stat", name, e)
}

type file struct {
	*bytes.Reader
	info fileInfo
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *file) Close() error               { return nil }

type dir struct {
	path    string
	info    fileInfo
	entries []fs.DirEntry
}

func (d *dir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dir) Close() error               { return nil }

func (d *dir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.path, Err: errIsDir}
}

// ReadDir follows fs.ReadDirFile: n > 0 returns at most n entries and
// io.EOF at the end, n <= 0 returns the rest.
func (d *dir) ReadDir(n int) ([]fs.DirEntry, error) {
	if n > 0 && len(d.entries) == 0 {
		return nil, io.EOF
	}
	if n <= 0 || n > len(d.entries) {
		n = len(d.entries)
	}
	out := d.entries[:n:n]
	d.entries = d.entries[n:]
	return out, nil
}

// entries returns the entries of folder e sorted by name, as fs.ReadDir
// has them (git sorts a folder as if its name ended in "/"); caller holds
// r.mu.
func (r *Repo) entries(e entry) ([]entry, error) {
	if e.mode == filemode.Submodule {
		return nil, nil // its commit is in another repository
	}
	if es, ok := r.trees.get(e.hash); ok {
		return es, nil
	}
	t, err := r.git.TreeObject(e.hash)
	if err != nil {
		return nil, err
	}
	es := make([]entry, len(t.Entries))
	for i, te := range t.Entries {
		es[i] = entry{name: te.Name, mode: te.Mode, hash: te.Hash}
	}
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	r.trees.put(e.hash, es)
	return es, nil
}

// blob reads a file's content; caller holds r.mu.
func (r *Repo) blob(h plumbing.Hash) ([]byte, error) {
	b, err := r.git.BlobObject(h)
	if err != nil {
		return nil, err
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	data := make([]byte, b.Size)
	if _, err := io.ReadFull(rd, data); err != nil {
		return nil, err
	}
	return data, nil
}

// blobSize is a file's size without its content; caller holds r.mu.
func (r *Repo) blobSize(h plumbing.Hash) (int64, error) {
	b, err := r.git.BlobObject(h)
	if err != nil {
		return 0, err
	}
	return b.Size, nil
}

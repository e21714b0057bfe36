// Package gitrepo gives the worker what it needs from git and hides go-git:
// a cache of bare mirrors ([Cache]), one per repository URL, fetched only
// when a wanted commit is missing; a commit's tree as an [io/fs.FS] read
// straight from git objects ([Repo.Tree]), so that package inventory scans
// a commit with the code that scans a directory, its folders and files
// carrying their git hashes for inventory's cache; the paths changed between
// two commits ([Repo.ChangedPaths]) and commit ancestry ([Repo.IsAncestor]).
//
// Local paths and file:// URLs are fetched by go-git through the git-upload-pack
// binary (git must be on PATH); http, https and ssh are pure Go. A mirror
// is the repository URL's without credentials: those come from
// [WithCredentials] (or [WithToken]) through go-git's auth option, never
// from the URL a fetch is given, and are written nowhere.
//
// One Cache serialises the operations on each mirror, so any number of
// goroutines may share it. Two Caches, or two processes, must not share a
// directory: nothing locks a mirror across them. A Repo, and its trees,
// may be read by any number of goroutines, including while another Fetch
// adds to the same mirror (a fetch only adds objects).
package gitrepo

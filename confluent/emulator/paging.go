package emulator

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
)

// Lists page by key: a page token is the last key of the previous page, so
// every item present from the first page to the last is listed exactly once,
// whatever is created or deleted meanwhile.

const (
	defaultPageSize = 10
	maxPageSize     = 100
	maxTokenLength  = 255
)

// pageQuery reads page_size and page_token.
func pageQuery(q url.Values) (size int, after string, err error) {
	size = defaultPageSize
	if s := q.Get("page_size"); s != "" {
		n, perr := strconv.Atoi(s)
		switch {
		case perr != nil || n < 1:
			return 0, "", badParam("page_size", "page_size must be a positive integer, not %q", s)
		case n > maxPageSize:
			return 0, "", badParam("page_size", "page_size must be at most %d, not %d", maxPageSize, n)
		}
		size = n
	}
	if t := q.Get("page_token"); t != "" {
		b, derr := base64.RawURLEncoding.DecodeString(t)
		if derr != nil || len(t) > maxTokenLength || len(b) == 0 {
			return 0, "", badParam("page_token", "page_token %q is not a token this server issued", t)
		}
		after = string(b)
	}
	return size, after, nil
}

// page returns up to size of the sorted keys after the key after that keep
// accepts, and whether more would follow.
func page(keys []string, after string, size int, keep func(string) bool) (out []string, more bool) {
	i, found := slices.BinarySearch(keys, after)
	if found {
		i++
	}
	for ; i < len(keys); i++ {
		if !keep(keys[i]) {
			continue
		}
		if len(out) == size {
			return out, true
		}
		out = append(out, keys[i])
	}
	return out, false
}

// nextPage is the absolute URL of the page after the key last: the request's
// own URL and filters with a new page_token.
func nextPage(c *call, last string) string {
	q := c.r.URL.Query()
	q.Set("page_token", base64.RawURLEncoding.EncodeToString([]byte(last)))
	return c.base + c.r.URL.Path + "?" + q.Encode()
}

// selfURL is the absolute URL of the request.
func selfURL(c *call) string { return c.base + c.r.URL.RequestURI() }

package gateway

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// serveAsset sends a public or protected Asset (R12): Content-Type by
// extension, Last-Modified, a strong ETag, Range and conditional requests,
// HEAD. The file is opened with os.OpenInRoot on the project directory, so
// neither a symlink nor a crafted name can reach outside the project. Small
// files are kept in memory after their first request, as a deployment's
// Assets do not change (dev mode reloads, with a new cache, when they do).
func (h *Handler) serveAsset(w *recorder, r *http.Request, req *request) {
	if a := req.routes.assets.get(req.res.Rel); a != nil {
		h.sendAsset(w, r, req, a.modTime, a.etag, bytes.NewReader(a.content))
		return
	}
	f, err := os.OpenInRoot(req.routes.snap.Dir, req.res.Rel)
	if err != nil {
		h.log.Warn("asset not readable", "request", req.id, "asset", req.res.Rel, "error", err)
		html(w, http.StatusNotFound, "Could not find asset") // R10
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		html(w, http.StatusNotFound, "Could not find asset")
		return
	}
	// Strong: it changes whenever the file's size or modification time does.
	etag := fmt.Sprintf(`"%x-%x"`, info.Size(), info.ModTime().UnixNano())
	if a := req.routes.assets.load(req.res.Rel, f, info, etag); a != nil {
		h.sendAsset(w, r, req, a.modTime, a.etag, bytes.NewReader(a.content))
		return
	}
	h.sendAsset(w, r, req, info.ModTime(), etag, f)
}

func (h *Handler) sendAsset(w *recorder, r *http.Request, req *request, modTime time.Time, etag string, content io.ReadSeeker) {
	if ct := assetType(req.res.Path); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("ETag", etag)
	http.ServeContent(w, r, req.res.Path, modTime, content)
}

// Limits of the Asset cache: larger files are read from disk each time,
// and a project with more than maxCachedAssets of small files has the rest
// read from disk too.
const (
	maxCachedAsset  = 256 << 10
	maxCachedAssets = 32 << 20
)

// assetCache holds the content of small Assets of one snapshot.
type assetCache struct {
	files sync.Map     // rel → *cachedAsset
	size  atomic.Int64 // bytes held
}

type cachedAsset struct {
	content []byte
	modTime time.Time
	etag    string
}

func newAssetCache() *assetCache { return &assetCache{} }

func (c *assetCache) get(rel string) *cachedAsset {
	if v, ok := c.files.Load(rel); ok {
		return v.(*cachedAsset)
	}
	return nil
}

// load reads f into the cache when it is small enough and there is room;
// nil means serve it from the file.
func (c *assetCache) load(rel string, f *os.File, info os.FileInfo, etag string) *cachedAsset {
	n := info.Size()
	if n > maxCachedAsset || c.size.Add(n) > maxCachedAssets {
		if n <= maxCachedAsset {
			c.size.Add(-n)
		}
		return nil
	}
	content := make([]byte, n)
	if _, err := io.ReadFull(f, content); err != nil {
		c.size.Add(-n)
		_, _ = f.Seek(0, io.SeekStart)
		return nil
	}
	a := &cachedAsset{content: content, modTime: info.ModTime(), etag: etag}
	if prev, loaded := c.files.LoadOrStore(rel, a); loaded {
		c.size.Add(-n) // another request cached it first
		return prev.(*cachedAsset)
	}
	return a
}

// assetTypes fixes the Content-Type of common extensions to what Express
// sends for twilio-run (R12), independent of the machine's /etc/mime.types,
// which mime.TypeByExtension would otherwise consult.
var assetTypes = map[string]string{
	".html":  "text/html; charset=UTF-8",
	".htm":   "text/html; charset=UTF-8",
	".css":   "text/css; charset=UTF-8",
	".js":    "application/javascript; charset=UTF-8",
	".mjs":   "application/javascript; charset=UTF-8",
	".json":  "application/json; charset=UTF-8",
	".map":   "application/json; charset=UTF-8",
	".txt":   "text/plain; charset=UTF-8",
	".csv":   "text/csv; charset=UTF-8",
	".md":    "text/markdown; charset=UTF-8",
	".xml":   "application/xml",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".jpg":   "image/jpeg",
	".jpeg":  "image/jpeg",
	".gif":   "image/gif",
	".webp":  "image/webp",
	".ico":   "image/x-icon",
	".pdf":   "application/pdf",
	".mp3":   "audio/mpeg",
	".wav":   "audio/wav",
	".mp4":   "video/mp4",
	".woff":  "font/woff",
	".woff2": "font/woff2",
	".wasm":  "application/wasm",
}

func assetType(p string) string {
	ext := strings.ToLower(path.Ext(p))
	if t, ok := assetTypes[ext]; ok {
		return t
	}
	return mime.TypeByExtension(ext)
}

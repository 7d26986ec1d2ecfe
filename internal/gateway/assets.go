package gateway

import (
	"fmt"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"
)

// serveAsset sends a public or protected Asset (R12): Content-Type by
// extension, Last-Modified, a strong ETag, Range and conditional requests,
// HEAD. The file is opened with os.OpenInRoot on the project directory, so
// neither a symlink nor a crafted name can reach outside the project.
func (h *Handler) serveAsset(w *recorder, r *http.Request, req *request) {
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
	if ct := assetType(req.res.Path); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	// Strong: it changes whenever the file's size or modification time does.
	w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, info.Size(), info.ModTime().UnixNano()))
	http.ServeContent(w, r, req.res.Path, info.ModTime(), f)
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

package gateway

import (
	"fmt"
	"mime"
	"net/http"
	"path"
)

// serveAsset sends a public or protected Asset (R12): Content-Type by
// extension, Last-Modified, a strong ETag, Range and conditional requests,
// HEAD. The file is opened through the project's os.Root, so neither a
// symlink nor a crafted name can reach outside the project.
func (h *Handler) serveAsset(w *recorder, r *http.Request, req *request) {
	f, err := req.routes.root.Open(req.res.Rel)
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
	if ct := mime.TypeByExtension(path.Ext(req.res.Path)); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	// Strong: it changes whenever the file's size or modification time does.
	w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, info.Size(), info.ModTime().UnixNano()))
	http.ServeContent(w, r, req.res.Path, info.ModTime(), f)
}

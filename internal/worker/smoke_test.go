package worker

import "testing"

func TestSmoke(t *testing.T) {
	p := newProject(t, map[string]string{"functions/hello.js": fn(`callback(null, "hi")`)})
	pool := startPool(t, p, nil)
	r := invoke(t, pool, p.inv("hello"))
	if r.Kind != Payload || r.BodyKind != BodyText || string(r.Body) != "hi" {
		t.Fatalf("got %+v", r)
	}
}

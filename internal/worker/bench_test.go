package worker

import (
	"context"
	"testing"
)

// BenchmarkInvoke measures one hello-world round trip through the pool.
func BenchmarkInvoke(b *testing.B) {
	p := newProject(b, map[string]string{"functions/hello.js": fn(`callback(null, "hi")`)})
	for _, count := range []int{1, 4} {
		b.Run(map[int]string{1: "workers=1", 4: "workers=4"}[count], func(b *testing.B) {
			pool, err := Start(context.Background(), Options{Count: count, Project: Project{Dir: p.dir}})
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close(context.Background())
			inv := p.inv("hello")
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r, err := pool.Invoke(ctx, inv)
					if err != nil || string(r.Body) != "hi" {
						b.Fatalf("%v %v", r, err)
					}
				}
			})
		})
	}
}

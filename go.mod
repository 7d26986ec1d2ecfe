module github.com/ahoy-run/ahoy

go 1.26.8

require (
	github.com/alecthomas/kong v1.17.0
	github.com/fsnotify/fsnotify v1.10.1
	github.com/google/go-cmp v0.7.0
)

require golang.org/x/sys v0.13.0 // indirect

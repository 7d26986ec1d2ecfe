module github.com/ahoy-run/ahoy

go 1.26.8

require (
	github.com/alecthomas/kong v1.17.0 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
)

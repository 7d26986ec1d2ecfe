package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// byteSize is a size flag: a number of bytes with an optional KB, MB or GB
// suffix (powers of 1024, as the production limits are stated).
type byteSize int64

// UnmarshalText parses "15KB", "1MB", "1048576".
func (b *byteSize) UnmarshalText(text []byte) error {
	s := strings.ToUpper(strings.TrimSpace(string(text)))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a size: write e.g. 15KB, 1MB or 1048576", text)
	}
	*b = byteSize(n * mult)
	return nil
}

// parsePublicURL accepts the scheme and host (and nothing else) clients use.
func parsePublicURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--public-url %q must look like https://hooks.example.com", s)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return nil, fmt.Errorf("--public-url %q must have no path or query: Ahoy serves the project at the root", s)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

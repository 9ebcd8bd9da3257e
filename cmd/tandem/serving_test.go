package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// serving is a tandem serve that startServing started: its base URL, what
// it writes to stderr, and its exit status once its context ends.
type serving struct {
	url    string
	stderr *syncBuffer
	done   <-chan int
}

// startServing runs m with args (a serve on 127.0.0.1:0) until ctx ends,
// waits for the line it prints first, "Tandem is serving on URL (stop with
// Ctrl-C)", and returns the URL. It sets m's stdin, stdout and stderr.
func startServing(t *testing.T, ctx context.Context, m *Main, args ...string) serving {
	t.Helper()
	stdout, w := io.Pipe()
	s := serving{stderr: &syncBuffer{}}
	m.Stdin, m.Stdout, m.Stderr = strings.NewReader(""), w, s.stderr
	done := make(chan int, 1)
	s.done = done
	go func() {
		code := m.Run(ctx, args)
		w.Close()
		done <- code
	}()
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-lines:
		u, ok := strings.CutPrefix(line, "Tandem is serving on ")
		u, _, cut := strings.Cut(u, " (stop with Ctrl-C)\n")
		if !ok || !cut {
			t.Fatalf("serve printed %q; want \"Tandem is serving on URL (stop with Ctrl-C)\"; stderr:\n%s", line, s.stderr)
		}
		s.url = u
	case <-time.After(30 * time.Second):
		t.Fatalf("serve printed nothing in 30s; stderr:\n%s", s.stderr)
	}
	return s
}

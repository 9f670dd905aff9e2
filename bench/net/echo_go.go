// Go TCP echo server for the echo benchmark: one goroutine per connection
// reading into a 256 KiB buffer and writing back what it read. Run with
// GOMAXPROCS=1 so it gets one core, as the other servers do.
//
//	echo_go [-tls CERT KEY] [PORT]
//
// Prints "LISTENING <port>" once it accepts connections on 127.0.0.1.
package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
)

func serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 256*1024)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func listen(args []string) (net.Listener, error) {
	port := "0"
	var cfg *tls.Config
	if len(args) >= 3 && args[0] == "-tls" {
		cert, err := tls.LoadX509KeyPair(args[1], args[2])
		if err != nil {
			return nil, err
		}
		cfg = &tls.Config{Certificates: []tls.Certificate{cert}}
		args = args[3:]
	}
	if len(args) > 0 {
		port = args[0]
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil || cfg == nil {
		return ln, err
	}
	return tls.NewListener(ln, cfg), nil
}

func main() {
	ln, err := listen(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo_go:", err)
		os.Exit(1)
	}
	fmt.Printf("LISTENING %d\n", ln.Addr().(*net.TCPAddr).Port)
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go serve(c)
	}
}

// Go's UDP echo server for bench/udp (run with GOMAXPROCS=1): binds
// 127.0.0.1 on an ephemeral port, prints it, echoes every datagram.
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(c.LocalAddr().(*net.UDPAddr).Port)
	buf := make([]byte, 65536)
	for {
		n, addr, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		c.WriteToUDPAddrPort(buf[:n], addr)
	}
}

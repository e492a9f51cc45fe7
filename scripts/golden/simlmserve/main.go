// Command simlmserve serves the simulated LM on a loopback port for the
// golden-case scripts: it prints the base URL on one line and serves until
// its standard input closes, so a script that starts it cannot leak it.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/durable-dspy/durable-dspy/simlm"
)

func main() {
	seed := flag.Int64("seed", 1, "seed of the simulated replies")
	flag.Parse()
	srv := simlm.New(simlm.Config{Seed: *seed})
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	fmt.Println(srv.URL())
	_, _ = io.Copy(io.Discard, os.Stdin)
}

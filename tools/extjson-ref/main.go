// extjson-ref writes MongoDB's own relaxed Extended JSON for documents given in canonical
// Extended JSON, one per line on stdin, one per line on stdout. It calls the Go driver's
// bson.MarshalExtJSON(doc, canonical=false, escapeHTML=false), which is what mongoexport
// --jsonFormat=relaxed writes, so docferry's tests can compare their relaxed output with it.
// A line that does not parse gives "error: <message>" on its output line.
package main

import (
	"bufio"
	"fmt"
	"os"

	"go.mongodb.org/mongo-driver/bson"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		var doc bson.Raw
		if err := bson.UnmarshalExtJSON(in.Bytes(), true, &doc); err != nil {
			fmt.Fprintf(out, "error: %v\n", err)
			continue
		}
		text, err := bson.MarshalExtJSON(doc, false, false)
		if err != nil {
			fmt.Fprintf(out, "error: %v\n", err)
			continue
		}
		out.Write(text)
		out.WriteByte('\n')
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Package sqlq runs read-only SQL queries against the index for people and
// tools (`hyphad sql`): one statement, reads only, a time limit and a row cap,
// with table, CSV and JSON output. Writes are refused twice: by a check of the
// statement before it runs, and by the database itself (SQLite opened
// read-only with query_only, PostgreSQL in a READ ONLY transaction).
package sqlq

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrNotReadOnly means the query is not a single read-only statement.
	ErrNotReadOnly = errors.New("only read-only queries are allowed")
	// ErrEmpty means the query holds no statement.
	ErrEmpty = errors.New("empty query")
	// ErrTimeout means the query ran past its time limit.
	ErrTimeout = errors.New("query ran past its time limit")
)

// readVerbs are the statements a query may start with.
var readVerbs = map[string]bool{"select": true, "with": true, "values": true, "explain": true}

// writeWords are keywords that make a statement write (or change the
// session) wherever they appear as a word outside strings and comments. WITH
// … INSERT is a write in both databases.
var writeWords = map[string]bool{
	"insert": true, "update": true, "delete": true, "replace": true, "drop": true, "create": true,
	"alter": true, "attach": true, "detach": true, "pragma": true, "vacuum": true, "reindex": true,
	"truncate": true, "grant": true, "revoke": true, "copy": true, "into": true, "set": true,
	"lock": true, "call": true, "do": true, "begin": true, "commit": true, "rollback": true,
	"savepoint": true, "release": true, "analyze": true, "listen": true, "notify": true,
}

// Check returns nil if query is a single statement starting with SELECT,
// WITH, VALUES or EXPLAIN and holding no write keyword (outside quotes and
// comments). It errs on the side of refusing: the database enforces
// read-only access anyway, this check gives the clear message.
func Check(query string) error {
	words, stmts, err := scan(query)
	if err != nil {
		return err
	}
	if len(words) == 0 {
		return fmt.Errorf("%w: give one SELECT statement", ErrEmpty)
	}
	if stmts > 1 {
		return fmt.Errorf("%w: give one statement, not %d (no ';' between statements)", ErrNotReadOnly, stmts)
	}
	if !readVerbs[words[0]] {
		return fmt.Errorf("%w: %s statements are refused; start with SELECT, WITH, VALUES or EXPLAIN", ErrNotReadOnly, strings.ToUpper(words[0]))
	}
	for _, w := range words[1:] {
		if writeWords[w] {
			return fmt.Errorf("%w: the query uses %s; the index is read-only here (hyphad index writes it)", ErrNotReadOnly, strings.ToUpper(w))
		}
	}
	return nil
}

// scan returns the lower-cased bare words of query (outside string literals,
// quoted identifiers and comments) and its number of non-empty statements.
func scan(q string) ([]string, int, error) {
	var words []string
	stmts, inStmt := 0, false
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return nil, 0, fmt.Errorf("%w: unterminated /* comment", ErrNotReadOnly)
			}
			i += end + 4
		case c == '\'' || c == '"' || c == '`' || c == '[':
			closer := c
			if c == '[' {
				closer = ']'
			}
			j := i + 1
			for {
				k := strings.IndexByte(q[j:], closer)
				if k < 0 {
					return nil, 0, fmt.Errorf("%w: unterminated quote %c", ErrNotReadOnly, c)
				}
				j += k + 1
				if closer != ']' && j < len(q) && q[j] == closer { // doubled quote: an escaped one
					j++
					continue
				}
				break
			}
			if !inStmt {
				inStmt, stmts = true, stmts+1
			}
			i = j
		case c == '$' && i+1 < len(q) && (q[i+1] == '$' || isWord(q[i+1])):
			// PostgreSQL dollar quoting ($$…$$, $tag$…$tag$) could hide
			// anything: refuse it rather than parse it.
			j := i + 1
			for j < len(q) && isWord(q[j]) {
				j++
			}
			if j < len(q) && q[j] == '$' {
				return nil, 0, fmt.Errorf("%w: dollar-quoted strings are not supported here; use '…'", ErrNotReadOnly)
			}
			i = j
		case c == ';':
			inStmt = false
			i++
		case isWord(c):
			j := i
			for j < len(q) && isWord(q[j]) {
				j++
			}
			words = append(words, strings.ToLower(q[i:j]))
			if !inStmt {
				inStmt, stmts = true, stmts+1
			}
			i = j
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		default:
			if !inStmt {
				inStmt, stmts = true, stmts+1
			}
			i++
		}
	}
	return words, stmts, nil
}

func isWord(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

package blob

import "time"

// Info describes a stored blob, as stores list it and servers report it.
type Info struct {
	ID      ID        `json:"id"`
	Size    int64     `json:"size"`
	Chunks  int       `json:"chunks"`
	Created time.Time `json:"created"`
}

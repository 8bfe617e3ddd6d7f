// Package code makes the short random codes members read and type:
// redemption codes, referral codes, link codes. The alphabet leaves out
// look-alikes (0/O, 1/I/L), so a code survives being read aloud.
package code

import "crypto/rand"

// Alphabet is the characters codes are made of.
const Alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// New returns a random code of n characters for which free reports true
// (not taken yet), drawing again while it reports false. It fails only
// when the system's random source does.
func New(n int, free func(string) bool) (string, error) {
	b := make([]byte, n)
	for {
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		for i := range b {
			b[i] = Alphabet[int(b[i])%len(Alphabet)]
		}
		if s := string(b); free == nil || free(s) {
			return s, nil
		}
	}
}

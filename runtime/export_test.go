package runtime

// Builds returns how many times each of ev's documents (input, prechange,
// postchange) was indexed since its last Reset: for the input, each of
// its indexes (the whole input's; or data's and the rest's, after
// ResetData). Read it after the calls made with ev have returned.
func (ev *Event) Builds() [3]int {
	input := ev.docs[0].builds + ev.shell.builds
	if ev.split { // data's index, made by ResetData
		input++
	}
	return [3]int{input, ev.docs[1].builds, ev.docs[2].builds}
}

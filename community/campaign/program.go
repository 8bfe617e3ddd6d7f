package campaign

// opKind is what one operation of a compiled campaign does.
type opKind int

const (
	opWait    opKind = iota // wait Step.Wait
	opUntil                 // wait until Step.Until
	opWaitFor               // wait for Step.WaitFor, at most Step.Within
	opBranch                // go on when Step.If holds, else jump to target
	opJump                  // jump to target
	opMessage               // send Step.Message
	opGrant                 // grant Step.Grant points
	opOffer                 // give a coupon
	opSurvey                // ask Step.Survey
	opTag                   // add Step.Tag
	opUntag                 // remove Step.Untag
	opExit                  // end the run
)

// op is one operation: the step it came from and, for branches and jumps,
// where it goes.
type op struct {
	kind   opKind
	step   Step
	target int // opBranch: where a false condition goes; opJump: where to go
}

// program is a campaign compiled to operations; a run's place in it is an
// index, which is also the step number in grant keys. Running off its end
// finishes the run.
type program []op

// compile lays steps out as a program. An If with Then/Else becomes a
// branch over the Then operations, a jump over the Else ones; an If with
// neither becomes a branch to an exit.
func compile(steps []Step) program {
	var p program
	p.add(steps)
	return p
}

func (p *program) add(steps []Step) {
	for _, s := range steps {
		switch {
		case s.If != nil && len(s.Then) == 0 && len(s.Else) == 0:
			*p = append(*p, op{kind: opBranch, step: s, target: len(*p) + 2}, op{kind: opJump, target: len(*p) + 3})
			*p = append(*p, op{kind: opExit})
		case s.If != nil:
			br := len(*p)
			*p = append(*p, op{kind: opBranch, step: s})
			p.add(s.Then)
			jump := len(*p)
			*p = append(*p, op{kind: opJump})
			(*p)[br].target = len(*p)
			p.add(s.Else)
			(*p)[jump].target = len(*p)
		default:
			*p = append(*p, op{kind: kindOf(s), step: s})
		}
	}
}

func kindOf(s Step) opKind {
	switch {
	case s.Wait != 0:
		return opWait
	case s.Until != "":
		return opUntil
	case s.WaitFor != "":
		return opWaitFor
	case s.Survey != "":
		return opSurvey
	case len(s.Message) > 0:
		return opMessage
	case s.Grant != 0:
		return opGrant
	case s.Offer != nil:
		return opOffer
	case s.Tag != "":
		return opTag
	case s.Untag != "":
		return opUntag
	default:
		return opExit
	}
}

package node

import (
	"context"
	"fmt"

	"github.com/qtro/qtro/impl/wire"
)

// A ReplyingHandler runs a slot invoked from a replica and sends the
// reply itself, by calling reply (once; later calls do nothing), so that
// it can place the reply among the signals the source emits: the reply
// goes out after every signal emitted before reply is called and before
// every signal emitted after reply returns. Qt answers a request within
// its event loop, so its replies reflect exactly the changes signalled
// before them; a handler that reads state which other goroutines change
// can do the same by calling reply while holding what those changes
// hold to emit (impl/model does). A handler that returns without calling
// reply gets no reply sent, as one whose call wanted none; an error
// sends an invalid Variant, as for a MethodHandler.
type ReplyingHandler func(ctx context.Context, args []Variant, reply func(Variant)) error

// HandleMethodReplying installs a slot's handler that sends its own
// reply (by name or signature); see ReplyingHandler.
func (s *Source) HandleMethodReplying(method string, h ReplyingHandler) error {
	i := s.class.MethodIndex(method)
	if i < 0 {
		return fmt.Errorf("%w: method %q", ErrNoSuchMember, method)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.replying == nil {
		s.replying = map[int]bool{}
	}
	s.replying[i] = true
	s.handlers[i] = func(ctx context.Context, args []Variant) (Variant, error) {
		slot, _ := ctx.Value(replyKey{}).(*replySlot)
		var out Variant
		sent := false
		err := h(ctx, args, func(v Variant) {
			if sent {
				return
			}
			sent, out = true, v
			if slot != nil {
				slot.send(v)
			}
		})
		if err != nil && !sent && slot != nil {
			slot.send(Variant{})
		}
		if slot != nil && !slot.sent {
			slot.sent = true // the handler chose to send none
		}
		return out, err
	}
	return nil
}

// replies reports whether method i has a ReplyingHandler.
func (s *Source) replies(i int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replying[i]
}

type replyKey struct{}

// replySlot is where a ReplyingHandler's reply goes: one invocation's.
type replySlot struct {
	c      *hostConn
	src    *Source
	name   string
	serial int32
	method int
	sent   bool
}

func (r *replySlot) send(v Variant) {
	r.sent = true
	m := &r.src.class.Methods[r.method]
	if !m.Void() && v.IsValid() {
		if cv, err := r.src.class.Coerce(m.ReturnType, v); err == nil {
			v = cv
		}
	}
	r.c.sendReply(r.src, r.name, r.serial, v)
}

// sendReply queues the reply to an invocation of src.
func (c *hostConn) sendReply(src *Source, name string, serial int32, out Variant) {
	if mutating("wrong-serial") {
		serial++
	}
	if err := c.q.send(&wire.InvokeReply{Name: name, Serial: serial, Value: localize(c.d, c.replySpelling(src), out)}); err != nil {
		c.fail(err)
	}
}

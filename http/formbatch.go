package http

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/tandemhq/tandem/sqldb"
)

// formBatcher gathers the website form posts that arrive together into one
// transaction (group commit): a post waits while the batch before it is
// written, and then goes with every post that came meanwhile, up to
// maxFormBatch. A lone post goes at once. The server owns the batcher's one
// goroutine, started with the first post and stopped by Close once no
// request is left.
type formBatcher struct {
	db    *sqldb.DB
	once  sync.Once
	posts chan formJob
	done  chan struct{}
	ctx   context.Context // the batches', not a request's
	stop  context.CancelFunc
	// batches and posts count what the batcher has written, for
	// BenchmarkInbound's posts per transaction.
	batches, taken atomic.Int64
}

// maxFormBatch bounds the posts of one transaction.
const maxFormBatch = 200

type formJob struct {
	post  sqldb.FormPost
	reply chan formReply
}

type formReply struct {
	sub sqldb.Submission
	err error
}

func newFormBatcher(db *sqldb.DB) *formBatcher {
	ctx, stop := context.WithCancel(context.Background())
	return &formBatcher{db: db, posts: make(chan formJob), done: make(chan struct{}), ctx: ctx, stop: stop}
}

// submit takes one post through the next batch and returns its outcome,
// or ctx's error if the request ends first (the post may still be taken:
// its submission id then answers a resend).
func (b *formBatcher) submit(ctx context.Context, p sqldb.FormPost) (sqldb.Submission, error) {
	b.once.Do(func() { go b.run() })
	job := formJob{post: p, reply: make(chan formReply, 1)}
	select {
	case b.posts <- job:
	case <-ctx.Done():
		return sqldb.Submission{}, ctx.Err()
	}
	select {
	case r := <-job.reply:
		return r.sub, r.err
	case <-ctx.Done():
		return sqldb.Submission{}, ctx.Err()
	}
}

func (b *formBatcher) run() {
	defer close(b.done)
	for {
		var batch []formJob
		select {
		case j := <-b.posts:
			batch = append(batch, j)
		case <-b.ctx.Done():
			return
		}
	gather:
		for len(batch) < maxFormBatch {
			select {
			case j := <-b.posts:
				batch = append(batch, j)
			default:
				break gather
			}
		}
		posts := make([]sqldb.FormPost, len(batch))
		for i, j := range batch {
			posts[i] = j.post
		}
		ss, err := b.db.SubmitForms(b.ctx, posts)
		b.batches.Add(1)
		b.taken.Add(int64(len(posts)))
		for i, j := range batch {
			if err != nil {
				j.reply <- formReply{err: err}
			} else {
				j.reply <- formReply{sub: ss[i]}
			}
		}
	}
}

// close stops the goroutine, if it started; call it once no request can
// submit any more.
func (b *formBatcher) close() {
	b.stop()
	b.once.Do(func() { close(b.done) }) // never started
	<-b.done
}

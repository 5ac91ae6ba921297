package seed

// inOrderChunk is how many customers one generator goroutine makes at a
// time: large enough that handing chunks over costs little, small enough
// that the chunks in flight hold a few MB.
const inOrderChunk = 512

// inOrder calls fn with gen(0), gen(1), ... gen(n-1), in that order,
// while up to workers goroutines run gen ahead in chunks. It stops at the
// first error fn returns and returns it. gen must be safe to call
// concurrently (the generators are pure functions of their index).
func inOrder[T any](n, workers int, gen func(i int) T, fn func(T) error) error {
	if workers < 2 || n <= inOrderChunk {
		for i := range n {
			if err := fn(gen(i)); err != nil {
				return err
			}
		}
		return nil
	}
	stop := make(chan struct{})
	defer close(stop)
	// queue holds the chunks' result channels in index order; its
	// capacity and the semaphore bound the chunks made ahead of fn.
	queue := make(chan chan []T, 2*workers)
	go func() {
		defer close(queue)
		sem := make(chan struct{}, workers)
		for start := 0; start < n; start += inOrderChunk {
			res := make(chan []T, 1)
			select {
			case queue <- res:
			case <-stop:
				return
			}
			select {
			case sem <- struct{}{}:
			case <-stop:
				return
			}
			go func(start, end int) {
				defer func() { <-sem }()
				out := make([]T, 0, end-start)
				for i := start; i < end; i++ {
					out = append(out, gen(i))
				}
				res <- out
			}(start, min(start+inOrderChunk, n))
		}
	}()
	for res := range queue {
		for _, v := range <-res {
			if err := fn(v); err != nil {
				return err
			}
		}
	}
	return nil
}

/*
 * sts_cache_queue.c - the cache's job queues (sts_cache.h: the job
 * queues) and the workers' side of them: queuing a job, taking one,
 * stopping, waiting until no job is queued or in flight.  Under the
 * cache's one mutex, as all of sts_cache*.c.
 *
 * Wake-ups: each queued job wakes one worker that can take it (an idle
 * cached-only worker for a cached policy's job, else one that takes any
 * job), and a worker that leaves jobs queued after taking its own wakes
 * the next; waiting lookups sleep on the stripe of their entry's hash
 * (sts_cache_complete()).  With one condition variable broadcast for
 * every job, every worker woke for each (tests/engine/test_wakeups).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "sts_cache_int.h"

/* Wake one worker for a job just queued (lock held): a job of a cached
 * policy goes to an idle cached-only worker when there is one, any
 * other job to a worker that takes any job.  (One condition variable
 * broadcast for every job woke every worker for each.) */
static void
wake_worker(struct sts_cache *c, bool hi)
{
	if (hi && c->idle_hi > 0)
		pthread_cond_signal(&c->work_hi);
	else
		pthread_cond_signal(&c->work);
}

bool
sts_cache_enqueue(struct sts_cache *c, struct entry *e, enum sts_job_kind kind)
{
	bool hi = (e->flags & F_POLICY) != 0;
	struct entry **head = hi ? &c->hi_head : &c->lo_head,
		     **tail = hi ? &c->hi_tail : &c->lo_tail;

	if (!hi && c->lo_len >= c->conf.queue_max) {
		c->st.queue_full++;
		return false;
	}
	if (hi)
		c->hi_len++;
	else
		c->lo_len++;
	e->kind = (uint8_t)kind;
	e->flags |= F_QUEUED;
	e->qnext = NULL;
	if (*tail != NULL)
		(*tail)->qnext = e;
	else
		*head = e;
	*tail = e;
	c->busy++;
	wake_worker(c, hi);
	return true;
}

/* Unlink the head of one queue (lock held). */
static struct entry *
dequeue(struct entry **head, struct entry **tail, size_t *len)
{
	struct entry *e = *head;

	*head = e->qnext;
	if (*head == NULL)
		*tail = NULL;
	e->qnext = NULL;
	(*len)--;
	return e;
}

bool
sts_cache_take_job(struct sts_cache *c, bool cached_only,
		   struct sts_cache_job *job)
{
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	while (c->hi_head == NULL && (cached_only || c->lo_head == NULL) &&
	       !c->stop) {
		if (cached_only) {
			c->idle_hi++;
			pthread_cond_wait(&c->work_hi, &c->lock);
			c->idle_hi--;
		} else {
			pthread_cond_wait(&c->work, &c->lock);
		}
	}
	if (c->stop) {
		pthread_mutex_unlock(&c->lock);
		return false;
	}
	if (c->hi_head != NULL)
		e = dequeue(&c->hi_head, &c->hi_tail, &c->hi_len);
	else
		e = dequeue(&c->lo_head, &c->lo_tail, &c->lo_len);
	e->flags = (uint8_t)((e->flags & ~F_QUEUED) | F_INFLIGHT);
	job->kind = (enum sts_job_kind)e->kind;
	memcpy(job->domain, e->domain, strlen(e->domain) + 1);
	job->have_policy = sts_cache_policy_valid(e, sts_cache_now(c));
	memcpy(job->id, e->id, sizeof(job->id));
	/* C8: the failed id is not fetched again until its backoff is over */
	job->bad_id = sts_cache_now(c) < e->next_try ? e->bad_id : 0;
	/* each queued job woke one worker, which may have taken another
	 * job (hi first) or have been beaten to it: pass the wake-up on */
	if (c->lo_head != NULL)
		wake_worker(c, false);
	if (c->hi_head != NULL)
		wake_worker(c, true);
	pthread_mutex_unlock(&c->lock);
	return true;
}

void
sts_cache_stop(struct sts_cache *c)
{
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	c->stop = true;
	/* queued jobs will never run: release them */
	while (c->hi_head != NULL || c->lo_head != NULL) {
		e = c->hi_head != NULL
			    ? dequeue(&c->hi_head, &c->hi_tail, &c->hi_len)
			    : dequeue(&c->lo_head, &c->lo_tail, &c->lo_len);
		e->flags &= ~F_QUEUED;
		c->busy--;
	}
	pthread_cond_broadcast(&c->work);
	pthread_cond_broadcast(&c->work_hi);
	for (size_t i = 0; i < STS_LRU_STRIPES; i++)
		pthread_cond_broadcast(&c->done_for.cv[i]);
	pthread_cond_broadcast(&c->idle);
	pthread_mutex_unlock(&c->lock);
}

bool
sts_cache_idle_wait(struct sts_cache *c, unsigned timeout_ms)
{
	struct timespec dl = sts_lru_deadline(timeout_ms);
	bool idle;
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	while (c->busy > 0 && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&c->idle, &c->lock, &dl);
	idle = c->busy == 0;
	pthread_mutex_unlock(&c->lock);
	return idle;
}

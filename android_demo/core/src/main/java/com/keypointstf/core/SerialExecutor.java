package com.keypointstf.core;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One worker thread for the model: loading, inference and closing run on it in submission order, so the
 * model (and a GPU context) never sees another thread.
 *
 * <p>{@link #close(Runnable)} runs its last task after every task already queued (frames the camera handed
 * over before closing are still answered, and see {@link #isClosed()}), then stops the thread. A task
 * submitted after that, e.g. a frame CameraX delivers while the Activity goes away, is dropped and counted
 * instead of raising {@link RejectedExecutionException} in the camera's thread.
 */
public final class SerialExecutor implements java.util.concurrent.Executor {

    private final ExecutorService thread;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger dropped = new AtomicInteger();

    public SerialExecutor(final String threadName) {
        thread = Executors.newSingleThreadExecutor(runnable -> new Thread(runnable, threadName));
    }

    @Override
    public void execute(Runnable task) {
        if (closed.get()) {
            dropped.incrementAndGet();
            return;
        }
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) { // closed between the check and the submission
            dropped.incrementAndGet();
        }
    }

    /** True once {@link #close} was called; queued tasks check it to skip work that no longer matters. */
    public boolean isClosed() {
        return closed.get();
    }

    /** Tasks dropped because they came after {@link #close}. */
    public int droppedTasks() {
        return dropped.get();
    }

    /** Runs {@code last} after the queued tasks, then lets the thread end; later calls do nothing. */
    public void close(Runnable last) {
        if (closed.getAndSet(true)) {
            return;
        }
        thread.execute(last);
        thread.shutdown();
    }

    /** Waits until the thread has finished its last task (tests; never on the main thread). */
    public boolean awaitTermination(long millis) throws InterruptedException {
        return thread.awaitTermination(millis, TimeUnit.MILLISECONDS);
    }
}

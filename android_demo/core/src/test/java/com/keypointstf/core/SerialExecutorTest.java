package com.keypointstf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.Test;

public class SerialExecutorTest {

    @Test
    public void closeRunsAfterTheQueuedTasksAndLaterTasksAreDropped() throws InterruptedException {
        SerialExecutor executor = new SerialExecutor("test-model");
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch gate = new CountDownLatch(1);
        executor.execute(() -> {
            try {
                gate.await(); // hold the thread so that the next tasks queue up
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            log.add("load");
        });
        executor.execute(() -> log.add(executor.isClosed() ? "frame after close" : "frame"));
        executor.close(() -> log.add("close model"));
        executor.execute(() -> log.add("late frame")); // CameraX delivering while the Activity goes away
        executor.close(() -> log.add("second close"));
        gate.countDown();
        assertTrue(executor.awaitTermination(5000));
        assertEquals("[load, frame after close, close model]", log.toString());
        assertEquals(1, executor.droppedTasks());
    }

    @Test
    public void tasksRunInOrderOnOneThread() throws InterruptedException {
        SerialExecutor executor = new SerialExecutor("test-model");
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 20; i++) {
            final int n = i;
            executor.execute(() -> {
                order.add(n);
                threads.add(Thread.currentThread().getName());
            });
        }
        executor.close(() -> { });
        assertTrue(executor.awaitTermination(5000));
        for (int i = 0; i < 20; i++) assertEquals(Integer.valueOf(i), order.get(i));
        assertEquals(1, new java.util.HashSet<>(threads).size());
        assertEquals("test-model", threads.get(0));
    }
}

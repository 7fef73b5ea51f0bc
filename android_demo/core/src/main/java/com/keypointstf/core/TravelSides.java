package com.keypointstf.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Left and right from the direction a person walks: Python's {@code keypoints_tf.sides.TravelSides}, the same
 * rule and constants.
 *
 * <p>A one-channel skeleton image looks the same with its left and right limbs swapped, so which side a detector
 * calls left is a guess. People walk the way they face, and walking towards a camera above the ground they move
 * down the image. Facing the camera, a person's left is on the image's right. Over the last {@link #SECONDS},
 * the lowest keypoint (the feet) and the keypoints' extent (frame pixels) give the approach rate in box sides per
 * second; at or above {@link #MIN_RATE} the shoulders and hips must have the left on the image's
 * right, at or below minus it on the left, else the pose keeps its sides. Keypoints are relabelled, never moved.
 * Frames in order; {@link #reset()} when the person is lost or the camera changes.
 */
public final class TravelSides {

    public static final double SECONDS = 1.0;
    public static final double MIN_RATE = 0.02;
    private static final double EPSILON = 1e-9;

    private final int[] permutation;
    private final int[][] torso;  // {left, right} keypoint indices of the shoulders and hips
    private final ArrayDeque<double[]> history = new ArrayDeque<>();  // {time, bottom, side}

    /** @throws IllegalArgumentException if the skeleton has no left/right shoulders or hips ({@link #supports}) */
    public TravelSides(Skeleton skeleton) {
        torso = torsoPairs(skeleton);
        if (torso.length == 0) {
            throw new IllegalArgumentException("skeleton '" + skeleton.name + "': sides from the direction of travel "
                    + "need left/right shoulder or hip keypoints; it has " + skeleton.keypointNames);
        }
        permutation = new int[skeleton.numKeypoints()];
        for (int k = 0; k < permutation.length; k++) permutation[k] = k;
        for (int i = 0; i < skeleton.numFlipPairs(); i++) {
            int[] pair = skeleton.flipPair(i);
            permutation[pair[0]] = pair[1];
            permutation[pair[1]] = pair[0];
        }
    }

    /** Whether the skeleton has the left/right shoulders or hips the rule reads. */
    public static boolean supports(Skeleton skeleton) {
        return torsoPairs(skeleton).length > 0;
    }

    /** Python's {@code approach_rate} from the first to the last entry; 0 without time between them. */
    public static double approachRate(double firstTime, double firstBottom, double firstSide,
                                      double lastTime, double lastBottom, double lastSide) {
        if (!(lastTime > firstTime)) return 0.0;
        double size = Math.max(Math.sqrt(firstSide * lastSide), EPSILON);
        return (lastBottom - firstBottom) / size / (lastTime - firstTime);
    }

    /** {@code pose} (frame pixels) with its sides from the boxes of the last second, this frame's included. */
    public Pose orient(Pose pose, double timestampSeconds) {
        float[] xy = pose.xy();
        float minX = Float.POSITIVE_INFINITY, minY = Float.POSITIVE_INFINITY;
        float maxX = Float.NEGATIVE_INFINITY, maxY = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < pose.numKeypoints(); k++) {
            minX = Math.min(minX, xy[2 * k]);
            maxX = Math.max(maxX, xy[2 * k]);
            minY = Math.min(minY, xy[2 * k + 1]);
            maxY = Math.max(maxY, xy[2 * k + 1]);
        }
        double side = Math.max(maxX - minX, maxY - minY);
        while (!history.isEmpty() && timestampSeconds - history.peekFirst()[0] > SECONDS + EPSILON) {
            history.pollFirst();
        }
        history.addLast(new double[] {timestampSeconds, maxY, side});  // the bottom edge: the lowest keypoint
        double[] first = history.peekFirst();
        double[] last = history.peekLast();
        double rate = approachRate(first[0], first[1], first[2], last[0], last[1], last[2]);
        return orientAtRate(pose, rate);
    }

    /** {@code pose} with left and right swapped where its torso contradicts {@code rate} (Python's {@code orient}). */
    public Pose orientAtRate(Pose pose, double rate) {
        float[] xy = pose.xy();
        double leftOfRight = 0.0;
        for (int[] pair : torso) leftOfRight += xy[2 * pair[0]] - xy[2 * pair[1]];
        double facing = rate >= MIN_RATE ? 1.0 : rate <= -MIN_RATE ? -1.0 : 0.0;
        if (!(facing * leftOfRight < 0)) return pose;
        float[] swapped = new float[xy.length];
        float[] confidence = pose.confidences();
        float[] swappedConfidence = new float[confidence.length];
        for (int k = 0; k < permutation.length; k++) {
            swapped[2 * k] = xy[2 * permutation[k]];
            swapped[2 * k + 1] = xy[2 * permutation[k] + 1];
            swappedConfidence[k] = confidence[permutation[k]];
        }
        return new Pose(swapped, swappedConfidence);
    }

    public void reset() {
        history.clear();
    }

    private static int[][] torsoPairs(Skeleton skeleton) {
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < skeleton.numFlipPairs(); i++) {
            int[] pair = skeleton.flipPair(i);
            Side a = Skeleton.sideOfName(skeleton.keypointNames.get(pair[0]));
            Side b = Skeleton.sideOfName(skeleton.keypointNames.get(pair[1]));
            String part = Skeleton.partName(skeleton.keypointNames.get(pair[0])).toLowerCase(Locale.ROOT);
            boolean isTorso = part.equals("shoulder") || part.equals("hip");
            if (!isTorso || (a != Side.LEFT && b != Side.LEFT)) continue;
            pairs.add(a == Side.LEFT ? new int[] {pair[0], pair[1]} : new int[] {pair[1], pair[0]});
        }
        return pairs.toArray(new int[0][]);
    }
}

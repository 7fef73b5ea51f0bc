package com.keypointstf.core;

import java.util.ArrayList;
import java.util.List;

/** The skeleton edges to draw for a pose: those whose two keypoints both pass the confidence threshold. */
public final class SkeletonSegments {

    private SkeletonSegments() {}

    public static List<Segment> visible(Skeleton skeleton, Pose pose, float threshold) {
        if (pose.numKeypoints() != skeleton.numKeypoints()) {
            throw new IllegalArgumentException("skeleton '" + skeleton.name + "' has " + skeleton.numKeypoints()
                    + " keypoints, the pose " + pose.numKeypoints());
        }
        List<Segment> segments = new ArrayList<>();
        for (int e = 0; e < skeleton.numEdges(); e++) {
            int[] edge = skeleton.edge(e);
            int a = edge[0];
            int b = edge[1];
            if (pose.isVisible(a, threshold) && pose.isVisible(b, threshold)) {
                segments.add(new Segment(e, skeleton.edgeSide(e), pose.x(a), pose.y(a), pose.x(b), pose.y(b)));
            }
        }
        return segments;
    }
}

package com.keypointstf.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A keypoint skeleton as written by Python's {@code keypoints_tf.skeleton.Skeleton.to_dict()}.
 *
 * <p>Edges and flip pairs are 0-based keypoint indices. {@code edgeSides} gives each edge's
 * {@link Side}; when a contract has no {@code edge_sides} they are derived from the keypoint names with
 * Python's rule ({@link #sideOfName}; an edge touching a left keypoint is left, else right, else center).
 */
public final class Skeleton {

    public final String name;
    public final List<String> keypointNames;
    private final int[][] edges;
    private final int[][] flipPairs;
    private final Side[] edgeSides;

    /**
     * @param edgeSides one side per edge, or null to derive them from the names
     * @throws IllegalArgumentException if names are empty or repeated, an index is out of range, an edge
     *     joins a keypoint to itself, a keypoint is in two flip pairs, or edgeSides has the wrong length
     */
    public Skeleton(String name, List<String> keypointNames, int[][] edges, int[][] flipPairs, Side[] edgeSides) {
        this.name = name;
        this.keypointNames = Collections.unmodifiableList(new ArrayList<>(keypointNames));
        this.edges = copyPairs(edges, "edges");
        this.flipPairs = copyPairs(flipPairs, "flip_pairs");
        int k = keypointNames.size();
        if (k == 0) {
            throw new IllegalArgumentException("skeleton '" + name + "': expected at least one keypoint name, got none");
        }
        if (new HashSet<>(keypointNames).size() != k) {
            throw new IllegalArgumentException("skeleton '" + name + "': keypoint names must be unique, got "
                    + keypointNames);
        }
        checkPairs(this.edges, k, "edge");
        checkPairs(this.flipPairs, k, "flip pair");
        Set<Integer> seen = new HashSet<>();
        for (int[] pair : this.flipPairs) {
            if (!seen.add(pair[0]) || !seen.add(pair[1])) {
                throw new IllegalArgumentException("skeleton '" + name + "': keypoint " + pair[0] + " or " + pair[1]
                        + " appears in more than one flip pair");
            }
        }
        if (edgeSides == null) {
            this.edgeSides = new Side[this.edges.length];
            for (int i = 0; i < this.edges.length; i++) {
                this.edgeSides[i] = sideOfEdge(this.edges[i]);
            }
        } else if (edgeSides.length != this.edges.length) {
            throw new IllegalArgumentException("skeleton '" + name + "': expected one edge side per edge ("
                    + this.edges.length + "), got " + edgeSides.length);
        } else {
            this.edgeSides = edgeSides.clone();
        }
    }

    public int numKeypoints() {
        return keypointNames.size();
    }

    public int numEdges() {
        return edges.length;
    }

    /** {a, b}: the two keypoint indices joined by edge {@code index}. */
    public int[] edge(int index) {
        return edges[index].clone();
    }

    public Side edgeSide(int index) {
        return edgeSides[index];
    }

    public int numFlipPairs() {
        return flipPairs.length;
    }

    public int[] flipPair(int index) {
        return flipPairs[index].clone();
    }

    /** Python's {@code _side}: LEFT for a name with a token "l"/"left", RIGHT for "r"/"right", else null. */
    public static Side sideOfName(String keypointName) {
        for (String token : keypointName.toLowerCase(Locale.ROOT).split("[_\\-\\s.]+")) {
            if (token.equals("l") || token.equals("left")) return Side.LEFT;
            if (token.equals("r") || token.equals("right")) return Side.RIGHT;
        }
        return null;
    }

    /** Python's {@code part_name}: a keypoint's name without its side ("l_hip" -> "hip", "LeftArm" -> "Arm"). */
    public static String partName(String name) {
        List<String> kept = new ArrayList<>();
        for (String token : name.split("[_\\-\\s.]+")) {
            String lower = token.toLowerCase(Locale.ROOT);
            if (!(lower.equals("l") || lower.equals("left") || lower.equals("r") || lower.equals("right"))) {
                kept.add(token);
            }
        }
        String joined = String.join("_", kept);
        java.util.regex.Matcher camel = java.util.regex.Pattern.compile("^(Left|Right)(.+)$").matcher(joined);
        if (camel.matches()) return camel.group(2);
        return joined.isEmpty() ? name : joined;
    }

    private Side sideOfEdge(int[] edge) {
        Side a = sideOfName(keypointNames.get(edge[0]));
        Side b = sideOfName(keypointNames.get(edge[1]));
        if (a == Side.LEFT || b == Side.LEFT) return Side.LEFT;
        if (a == Side.RIGHT || b == Side.RIGHT) return Side.RIGHT;
        return Side.CENTER;
    }

    private void checkPairs(int[][] pairs, int k, String what) {
        for (int[] pair : pairs) {
            int a = pair[0];
            int b = pair[1];
            if (a < 0 || a >= k || b < 0 || b >= k || a == b) {
                throw new IllegalArgumentException("skeleton '" + name + "': " + what + " (" + a + ", " + b
                        + ") must join two different keypoints in [0, " + k + ")");
            }
        }
    }

    private static int[][] copyPairs(int[][] pairs, String field) {
        int[][] copy = new int[pairs.length][];
        for (int i = 0; i < pairs.length; i++) {
            if (pairs[i] == null || pairs[i].length != 2) {
                throw new IllegalArgumentException(field + "[" + i + "] must be a pair [a, b] of keypoint indices");
            }
            copy[i] = pairs[i].clone();
        }
        return copy;
    }
}

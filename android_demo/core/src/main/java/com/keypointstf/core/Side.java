package com.keypointstf.core;

/**
 * Which side of the subject a skeleton edge belongs to, from the contract's {@code skeleton.edge_sides}.
 *
 * <p>Sides are the subject's own (a person's left arm), so they do not change when the image is mirrored.
 * Each side has a drawing colour (ARGB); left and right are far apart in hue and brightness so they stay
 * distinguishable for the common forms of colour blindness.
 */
public enum Side {
    /** Blue. */
    LEFT("left", 0xFF1E88E5),
    /** Orange. */
    RIGHT("right", 0xFFFF8F00),
    /** Light grey. */
    CENTER("center", 0xFFE0E0E0);

    /** The name used in the contract JSON. */
    public final String jsonName;
    /** Drawing colour as 0xAARRGGBB. */
    public final int argb;

    Side(String jsonName, int argb) {
        this.jsonName = jsonName;
        this.argb = argb;
    }

    /** The side named {@code name} ("left", "right" or "center"). */
    public static Side fromJson(String name) {
        for (Side side : values()) {
            if (side.jsonName.equals(name)) {
                return side;
            }
        }
        throw new IllegalArgumentException("edge side must be \"left\", \"right\" or \"center\", got \"" + name + "\"");
    }
}

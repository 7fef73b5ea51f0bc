package com.keypointstf.core;

/** One skeleton edge to draw: its end points (in the pose's space) and the side that picks its colour. */
public final class Segment {

    public final int edgeIndex;
    public final Side side;
    public final float x0;
    public final float y0;
    public final float x1;
    public final float y1;

    public Segment(int edgeIndex, Side side, float x0, float y0, float x1, float y1) {
        this.edgeIndex = edgeIndex;
        this.side = side;
        this.x0 = x0;
        this.y0 = y0;
        this.x1 = x1;
        this.y1 = y1;
    }

    /** Drawing colour, 0xAARRGGBB. */
    public int argb() {
        return side.argb;
    }
}

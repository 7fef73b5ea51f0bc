"""The paper's experiments at our scale, each a thin CLI over importable functions.

* `prior_size`: error vs the number of unpaired prior poses (50 / 500 / 5000 / all), several seeds.
* `disentangle`: the appearance x pose grid Psi(beta(pose), appearance) and the keypoint-editing video.

The regression protocol of other methods is an option of `keypoints_tf.evaluate` (`--regression`).
"""

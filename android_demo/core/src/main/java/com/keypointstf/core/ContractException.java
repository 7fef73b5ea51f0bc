package com.keypointstf.core;

/**
 * A model file or contract that is missing, corrupt or does not match what the app needs.
 *
 * <p>The Java counterpart of Python's {@code keypoints_tf.errors.ModelFileError}: the message starts with
 * the source (file or asset name) and says what was expected.
 */
public class ContractException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ContractException(String message) {
        super(message);
    }

    public ContractException(String message, Throwable cause) {
        super(message, cause);
    }
}

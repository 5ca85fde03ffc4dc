"""Notifications: alerts that reach people off the screen.

``base`` is the contract (what a message is, what a receiver does with it);
``receivers`` holds one module per receiver type and the ``RECEIVER_TYPES`` registry;
``secrets`` is how the notify file names a secret without holding it.
"""

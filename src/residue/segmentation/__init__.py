"""Foreground segmenters behind one interface, registered in ``SEGMENTERS`` (P3)."""

"""theory layer"""

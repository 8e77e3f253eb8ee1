"""spec layer"""

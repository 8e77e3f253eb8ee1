"""probe layer"""

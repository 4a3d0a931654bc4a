"""Views of the shared infrastructure."""

from django.http import Http404
from django.views.static import serve

# The longest file name (one path component) a file system keeps, in bytes.
NAME_MAX = 255


def serve_media(request, path, document_root=None, show_indexes=False):
    """Uploads in development (DEBUG only): Django's static view, except that a name no file system
    can hold is "not found" rather than the operating system's "file name too long" (a 500)."""
    if any(len(part.encode()) > NAME_MAX for part in path.split("/")):
        raise Http404("No such file.")
    return serve(request, path, document_root=document_root, show_indexes=show_indexes)

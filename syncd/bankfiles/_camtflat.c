/* One camt element and everything below it as plain Python values, read straight from libxml2.
 *
 * Why: a camt entry's mapping touches most of its ~45 elements, and in Python every one of them
 * costs an lxml proxy object, a namespaced tag string and a dict entry: about a fifth of the
 * whole parse. Here the walk reads libxml2's own nodes (the tree lxml built and still owns,
 * read only, the GIL held) and builds the same facts the Python reader
 * (syncd.bankfiles.camt_entry.flatten_py) builds, which is the reference: tests compare the two
 * on every sample, fixture and damaged file.
 *
 * A node is the tuple (text, attributes, children):
 *   text        lxml's ``element.text``: the first run of text and CDATA nodes, '' when they are
 *               all empty, None when there is none;
 *   attributes  None, or a tuple of (name, value) pairs (``{href}name`` for a namespaced one);
 *   children    None, or a dict from key to the list of child nodes with that key, in document
 *               order. The key is the local name for an element of the document's namespace,
 *               otherwise "{" + lxml's tag, a key no path can name (Python: camt_entry._Keys).
 *
 * Nothing here allocates outside Python objects but one name buffer; depth is bounded (libxml2
 * already refuses documents deeper than 256 without huge_tree, which syncd never sets).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include <libxml/tree.h>
#include "lxml.etree.h"

#define MAX_DEPTH 512

static PyTypeObject *element_type = NULL;
static PyObject *unreadable = NULL; /* raised for what the walk does not read: the caller falls back */

static int is_text(const xmlNode *node) {
    return node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE;
}

static int is_xinclude_mark(const xmlNode *node) {
    return node->type == XML_XINCLUDE_START || node->type == XML_XINCLUDE_END;
}

/* lxml's _textNodeOrSkip: the node if it is text, past XInclude marks, else NULL. */
static const xmlNode *text_or_skip(const xmlNode *node) {
    while (node != NULL) {
        if (is_text(node)) return node;
        if (!is_xinclude_mark(node)) return NULL;
        node = node->next;
    }
    return NULL;
}

/* lxml's _collectText(first): the text of a run of text nodes starting at ``first``. */
static PyObject *collect_text(const xmlNode *first) {
    const xmlNode *start = text_or_skip(first);
    if (start == NULL) Py_RETURN_NONE;
    Py_ssize_t total = 0, nonempty = 0;
    const xmlNode *only = NULL;
    for (const xmlNode *n = start; n != NULL; n = text_or_skip(n->next)) {
        if (n->content != NULL && n->content[0] != '\0') {
            total += (Py_ssize_t)strlen((const char *)n->content);
            nonempty += 1;
            only = n;
        }
    }
    if (nonempty == 0) return PyUnicode_FromStringAndSize("", 0);
    if (nonempty == 1) return PyUnicode_DecodeUTF8((const char *)only->content, total, "strict");
    char *buffer = PyMem_Malloc((size_t)total);
    if (buffer == NULL) return PyErr_NoMemory();
    Py_ssize_t at = 0;
    for (const xmlNode *n = start; n != NULL; n = text_or_skip(n->next)) {
        if (n->content != NULL) {
            size_t length = strlen((const char *)n->content);
            memcpy(buffer + at, n->content, length);
            at += (Py_ssize_t)length;
        }
    }
    PyObject *text = PyUnicode_DecodeUTF8(buffer, total, "strict");
    PyMem_Free(buffer);
    return text;
}

/* lxml's tag of ``node`` ("{href}name" or "name") turned into the reader's key. */
static PyObject *key_of(const xmlNode *node, const char *prefix, size_t prefix_length) {
    const char *name = (const char *)node->name;
    const char *href = (node->ns != NULL) ? (const char *)node->ns->href : NULL;
    size_t name_length = strlen(name);
    size_t href_length = href != NULL ? strlen(href) : 0;
    size_t tag_length = href != NULL ? href_length + name_length + 2 : name_length;
    char small[256];
    char *tag = tag_length + 1 <= sizeof small ? small : PyMem_Malloc(tag_length + 1);
    if (tag == NULL) return PyErr_NoMemory();
    if (href != NULL) {
        tag[0] = '{';
        memcpy(tag + 1, href, href_length);
        tag[href_length + 1] = '}';
        memcpy(tag + href_length + 2, name, name_length);
    } else {
        memcpy(tag, name, name_length);
    }
    tag[tag_length] = '\0';
    PyObject *key;
    if (tag_length >= prefix_length && memcmp(tag, prefix, prefix_length) == 0 &&
        tag[prefix_length] != '{') {
        key = PyUnicode_DecodeUTF8(tag + prefix_length, (Py_ssize_t)(tag_length - prefix_length), "strict");
    } else {
        PyObject *whole = PyUnicode_DecodeUTF8(tag, (Py_ssize_t)tag_length, "strict");
        key = whole != NULL ? PyUnicode_FromFormat("{%U", whole) : NULL;
        Py_XDECREF(whole);
    }
    if (tag != small) PyMem_Free(tag);
    return key;
}

/* The element's attributes as (name, value) pairs, or None. */
static PyObject *attributes_of(const xmlNode *node) {
    if (node->properties == NULL) Py_RETURN_NONE;
    PyObject *pairs = PyList_New(0);
    if (pairs == NULL) return NULL;
    for (const xmlAttr *attr = node->properties; attr != NULL; attr = attr->next) {
        const xmlNode *value_node = attr->children;
        PyObject *value;
        if (value_node == NULL) {
            value = PyUnicode_FromStringAndSize("", 0);
        } else if (value_node->type == XML_TEXT_NODE && value_node->next == NULL) {
            const char *content = value_node->content != NULL ? (const char *)value_node->content : "";
            value = PyUnicode_DecodeUTF8(content, (Py_ssize_t)strlen(content), "strict");
        } else {  /* an entity reference in a value: only a DTD can make one, and syncd refuses DTDs */
            PyErr_SetString(unreadable, "attribute value that is not plain text");
            value = NULL;
        }
        PyObject *name = (attr->ns != NULL && attr->ns->href != NULL)
            ? PyUnicode_FromFormat("{%s}%s", (const char *)attr->ns->href, (const char *)attr->name)
            : PyUnicode_FromString((const char *)attr->name);
        PyObject *pair = (value != NULL && name != NULL) ? PyTuple_Pack(2, name, value) : NULL;
        Py_XDECREF(name);
        Py_XDECREF(value);
        if (pair == NULL || PyList_Append(pairs, pair) < 0) {
            Py_XDECREF(pair);
            Py_DECREF(pairs);
            return NULL;
        }
        Py_DECREF(pair);
    }
    PyObject *result = PyList_AsTuple(pairs);
    Py_DECREF(pairs);
    return result;
}

static PyObject *flat_node(const xmlNode *node, const char *prefix, size_t prefix_length, int depth);

/* The element children of ``node`` by key, or None when it has none. */
static PyObject *children_of(const xmlNode *node, const char *prefix, size_t prefix_length, int depth) {
    PyObject *kids = NULL;
    for (const xmlNode *child = node->children; child != NULL; child = child->next) {
        if (child->type != XML_ELEMENT_NODE) {
            if (is_text(child) || is_xinclude_mark(child) || child->type == XML_COMMENT_NODE ||
                child->type == XML_PI_NODE) continue;
            PyErr_SetString(unreadable, "node that is neither element nor text");
            goto fail;
        }
        if (kids == NULL && (kids = PyDict_New()) == NULL) return NULL;
        PyObject *key = key_of(child, prefix, prefix_length);
        if (key == NULL) goto fail;
        PyObject *flat = flat_node(child, prefix, prefix_length, depth + 1);
        if (flat == NULL) {
            Py_DECREF(key);
            goto fail;
        }
        PyObject *same = PyDict_GetItemWithError(kids, key); /* borrowed */
        int failed;
        if (same != NULL) {
            failed = PyList_Append(same, flat);
        } else if (PyErr_Occurred()) {
            failed = -1;
        } else {
            PyObject *list = PyList_New(1);
            if (list == NULL) {
                failed = -1;
            } else {
                Py_INCREF(flat);
                PyList_SET_ITEM(list, 0, flat);
                failed = PyDict_SetItem(kids, key, list);
                Py_DECREF(list);
            }
        }
        Py_DECREF(flat);
        Py_DECREF(key);
        if (failed < 0) goto fail;
    }
    if (kids == NULL) Py_RETURN_NONE;
    return kids;
fail:
    Py_XDECREF(kids);
    return NULL;
}

static PyObject *flat_node(const xmlNode *node, const char *prefix, size_t prefix_length, int depth) {
    if (depth > MAX_DEPTH) {
        PyErr_SetString(unreadable, "element nested too deep");
        return NULL;
    }
    PyObject *text = collect_text(node->children);
    if (text == NULL) return NULL;
    PyObject *attributes = attributes_of(node);
    if (attributes == NULL) {
        Py_DECREF(text);
        return NULL;
    }
    PyObject *kids = children_of(node, prefix, prefix_length, depth);
    if (kids == NULL) {
        Py_DECREF(text);
        Py_DECREF(attributes);
        return NULL;
    }
    PyObject *result = PyTuple_Pack(3, text, attributes, kids);
    Py_DECREF(text);
    Py_DECREF(attributes);
    Py_DECREF(kids);
    return result;
}

static PyObject *flatten(PyObject *module, PyObject *args) {
    PyObject *element;
    const char *prefix;
    Py_ssize_t prefix_length;
    (void)module;
    if (!PyArg_ParseTuple(args, "Os#", &element, &prefix, &prefix_length)) return NULL;
    if (!PyObject_TypeCheck(element, element_type)) {
        PyErr_SetString(PyExc_TypeError, "flatten() takes an lxml element");
        return NULL;
    }
    const xmlNode *node = ((struct LxmlElement *)element)->_c_node;
    if (node == NULL || node->type != XML_ELEMENT_NODE) {
        PyErr_SetString(PyExc_ValueError, "flatten() takes a live element");
        return NULL;
    }
    return flat_node(node, prefix, (size_t)prefix_length, 0);
}

static PyMethodDef methods[] = {
    {"flatten", flatten, METH_VARARGS,
     "flatten(element, prefix) -> (text, attributes, children): the element and all below it."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "syncd.bankfiles._camtflat",
    "camt elements as plain Python values, read from libxml2's tree (see _camtflat.c).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__camtflat(void) {
    PyObject *etree = PyImport_ImportModule("lxml.etree");
    if (etree == NULL) return NULL;
    element_type = (PyTypeObject *)PyObject_GetAttrString(etree, "_Element");
    Py_DECREF(etree);
    if (element_type == NULL) return NULL;
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) return NULL;
    unreadable = PyErr_NewException("syncd.bankfiles._camtflat.Unreadable", PyExc_ValueError, NULL);
    if (unreadable == NULL || PyModule_AddObjectRef(module, "Unreadable", unreadable) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    if (PyModule_AddStringConstant(module, "LXML_VERSION", LXML_BUILT_WITH) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
